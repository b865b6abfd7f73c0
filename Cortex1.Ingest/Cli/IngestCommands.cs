using Cortex1.ServiceDefaults.CommandLine;

namespace Cortex1.Ingest.Cli;

/// <summary>What <c>Cortex1.Ingest</c> runs instead of the service (see <see cref="ServiceCommands"/>); a new command is one line here.</summary>
public static class IngestCommands
{
    public static IReadOnlyList<ServiceCommand> All { get; } =
    [
        new("fetch", "Fetch daily on-chain metrics from Flipside (needs Flipside:ApiKey) into PostgreSQL.", args => IngestCli.RunAsync(args)),
        new("load-embedded", "Load the bundled CC0 daily BTC/ETH/SOL history into PostgreSQL.", args => IngestCli.RunAsync(args)),
    ];
}
