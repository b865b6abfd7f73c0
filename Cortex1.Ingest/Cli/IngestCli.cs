using System.CommandLine;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Ingest.Flipside;
using Cortex1.Ingest.OnChain;
using Cortex1.Ingest.Pipeline;
using Cortex1.Ingest.Runs;
using Cortex1.ServiceDefaults.CommandLine;

namespace Cortex1.Ingest.Cli;

/// <summary>
/// <c>dotnet run --project Cortex1.Ingest -- fetch --days 30 --chains ethereum,near</c> and
/// <c>dotnet run --project Cortex1.Ingest -- load-embedded</c>. It writes to the database named by
/// <c>ConnectionStrings:cortexdb</c> (appsettings.json or the environment variable
/// <c>ConnectionStrings__cortexdb</c>) and applies migrations first.
/// </summary>
public static class IngestCli
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken stop = default)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;

        var days = new Option<int>("--days")
        {
            Description = "Complete UTC days to fetch, counting back from yesterday.",
            DefaultValueFactory = _ => IngestRunRequest.DefaultDays,
        };
        var chains = new Option<string[]>("--chains")
        {
            Description = $"Chains, comma or space separated. Known: {string.Join(", ", ChainQueries.Chains)}.",
            DefaultValueFactory = _ => [.. IngestRunRequest.DefaultChains],
            AllowMultipleArgumentsPerToken = true,
        };
        var fetch = new Command("fetch", "Fetch daily on-chain metrics from Flipside (needs Flipside:ApiKey) and store them with derived metrics and labels.")
        {
            days, chains,
        };
        fetch.SetAction((parse, ct) =>
        {
            var request = new IngestRunRequest(IngestRunRequest.Fetch, parse.GetValue(days),
                [.. parse.GetValue(chains)!.SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .Select(c => c.ToLowerInvariant())]);
            return Execute(request, stdout, stderr, ct);
        });

        var loadEmbedded = new Command("load-embedded",
            "Load the bundled CC0 daily BTC/ETH/SOL history (2018-01-01 … 2021-07-06), with derived metrics and labels. Safe to rerun.");
        loadEmbedded.SetAction((_, ct) => Execute(new IngestRunRequest(IngestRunRequest.LoadEmbedded), stdout, stderr, ct));

        var root = new RootCommand("Cortex1 market data ingest.") { fetch, loadEmbedded };
        return CommandLineHost.InvokeAsync(root, args, stdout, stderr, stop);
    }

    private static async Task<int> Execute(IngestRunRequest request, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (request.Validate() is { } problem)
        {
            await stderr.WriteLineAsync($"error: {problem}");
            return ExitCodes.BadInput;
        }

        var builder = CommandLineHost.CreateBuilder(typeof(IngestCli));
        builder.Logging.AddFilter(typeof(MarketIngestor).FullName, LogLevel.Information); // Flipside query states
        if (request.Mode == IngestRunRequest.Fetch && string.IsNullOrWhiteSpace(builder.Configuration["Flipside:ApiKey"]))
        {
            await stderr.WriteLineAsync($"error: {new FlipsideNotConfiguredException().Message}");
            return ExitCodes.BadInput;
        }
        return await CommandLineHost.RunAsync(builder, new DataCommand
        {
            Needs = [ConnectionNames.Database],
            Register = b => b.Services.AddIngestCore(b.Configuration),
            Work = async (services, ct) =>
            {
                var ingestor = services.GetRequiredService<MarketIngestor>();
                IngestProgressHandler progress = (p, _) => stdout.WriteLineAsync(p.ToString());
                var summary = request.Mode == IngestRunRequest.LoadEmbedded
                    ? await ingestor.LoadEmbeddedAsync(progress, ct)
                    : await ingestor.FetchAsync(request.DaysOrDefault, request.ChainsOrDefault, progress, ct);
                await stdout.WriteLineAsync(
                    $"done: {summary.RawDays:N0} days of {string.Join(", ", summary.Chains)} ({summary.From}…{summary.To}), " +
                    $"{summary.RowsWritten:N0} rows written, {summary.Conditions:N0} labels.");
                return ExitCodes.Ok;
            },
            Interrupted = "Interrupted. The days stored so far are kept (rows are upserted); run the same command again to finish.",
            ExitCodeOf = e => e is FlipsideException f ? (f.IsPermanent ? ExitCodes.BadInput : ExitCodes.Failed) : null,
        }, stderr, ct);
    }
}
