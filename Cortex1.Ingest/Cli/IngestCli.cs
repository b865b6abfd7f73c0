using System.CommandLine;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Migrations;
using Cortex1.Ingest.Flipside;
using Cortex1.Ingest.OnChain;
using Cortex1.Ingest.Pipeline;
using Cortex1.Ingest.Runs;
using Npgsql;

namespace Cortex1.Ingest.Cli;

/// <summary>
/// The command line, in the seed's words:
/// <c>dotnet run --project Cortex1.Ingest -- fetch --days 30 --chains ethereum,near</c> and
/// <c>dotnet run --project Cortex1.Ingest -- load-embedded</c>. It writes to the database named by
/// <c>ConnectionStrings:cortexdb</c> (appsettings.json or the environment variable
/// <c>ConnectionStrings__cortexdb</c>) and applies migrations first.
/// </summary>
public static class IngestCli
{
    public const int Ok = CommandLineHost.Ok;
    public const int Failed = CommandLineHost.Failed;
    public const int BadSetup = CommandLineHost.BadSetup;

    private static readonly string[] Commands = ["fetch", "load-embedded", "-h", "--help"];

    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
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
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    private static async Task<int> Execute(IngestRunRequest request, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (request.Validate() is { } problem)
        {
            await stderr.WriteLineAsync($"error: {problem}");
            return BadSetup;
        }

        var builder = CommandLineHost.CreateBuilder(typeof(IngestCli));
        builder.Logging.AddFilter(typeof(MarketIngestor).FullName, LogLevel.Information); // Flipside query states

        if (request.Mode == IngestRunRequest.Fetch && string.IsNullOrWhiteSpace(builder.Configuration["Flipside:ApiKey"]))
        {
            await stderr.WriteLineAsync($"error: {new FlipsideNotConfiguredException().Message}");
            return BadSetup;
        }
        if (CommandLineHost.MissingConnection(builder.Configuration, ConnectionNames.Database) is { } missing)
        {
            await stderr.WriteLineAsync($"error: {missing}");
            return BadSetup;
        }
        var connectionString = builder.Configuration.GetConnectionString(ConnectionNames.Database)!;
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddIngestCore(builder.Configuration);
        using var host = builder.Build();
        var ingestor = host.Services.GetRequiredService<MarketIngestor>();

        try
        {
            await stdout.WriteLineAsync("applying migrations…");
            await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
            IngestProgressHandler progress = (p, _) => stdout.WriteLineAsync(p.ToString());
            var summary = request.Mode == IngestRunRequest.LoadEmbedded
                ? await ingestor.LoadEmbeddedAsync(progress, ct)
                : await ingestor.FetchAsync(request.DaysOrDefault, request.ChainsOrDefault, progress, ct);
            await stdout.WriteLineAsync(
                $"done: {summary.RawDays:N0} days of {string.Join(", ", summary.Chains)} ({summary.From}…{summary.To}), " +
                $"{summary.RowsWritten:N0} rows written, {summary.Conditions:N0} labels.");
            return Ok;
        }
        catch (FlipsideException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return e.IsPermanent ? BadSetup : Failed;
        }
        catch (NpgsqlException e)
        {
            await stderr.WriteLineAsync($"error: PostgreSQL ({new NpgsqlConnectionStringBuilder(connectionString).Host}): {e.Message}");
            return Failed;
        }
    }
}
