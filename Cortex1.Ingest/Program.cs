using Cortex1.Data;
using Cortex1.Ingest;
using Cortex1.Ingest.Cli;
using Cortex1.Ingest.MarketApi;
using Cortex1.Ingest.Runs;

// `dotnet run --project Cortex1.Ingest -- fetch …` / `-- load-embedded` run once and exit;
// anything else starts the service.
if (IngestCli.IsCommand(args)) return await IngestCli.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCortex1Data();
builder.AddIngest();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapMarketApi();
app.MapIngestApi();
app.Run();
return 0;
