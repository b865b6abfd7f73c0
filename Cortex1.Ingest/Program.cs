using Cortex1.Ingest;
using Cortex1.Ingest.Cli;
using Cortex1.ServiceDefaults.CommandLine;

// `dotnet run --project Cortex1.Ingest -- fetch …` / `-- load-embedded` run once and exit; no command starts the service.
return await ServiceCommands.RunAsync(args, IngestCommands.All, IngestApp.Build);
