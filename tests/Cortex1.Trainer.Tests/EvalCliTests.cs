using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Market;
using Cortex1.Data.Storage;
using Cortex1.Domain;
using Cortex1.TestSupport;
using Cortex1.Trainer.Evaluation;
using Npgsql;

namespace Cortex1.Trainer.Tests;

/// <summary>
/// The <c>eval</c> command end to end: a two-prompt split in Azurite, market rows in PostgreSQL, the model behind a real
/// HTTP server on 127.0.0.1. Every number asserted is worked out by hand below.
/// </summary>
public sealed class EvalCliTests
{
    private static readonly DateOnly End = new(2021, 3, 10);

    // The prompt window closes 100, 101, …, 109 (2021-03-01 → 03-10); after it the price rises by 1 a day to 139 on 04-09.
    private static MarketDay Day(DateOnly d, double close) => new("ethereum", d, new Dictionary<string, double> { [MetricNames.CloseUsd] = close }, "test");
    private static MarketSeries Window() => new("ethereum", [.. Enumerable.Range(0, 10).Select(i => Day(End.AddDays(i - 9), 100 + i))]);
    private static IEnumerable<MarketDay> After() => Enumerable.Range(1, 30).Select(t => Day(End.AddDays(t), 109 + t));

    private const string Forecasting = """
        ## Forecast
        - 7-day price: 90% CI: [$105.00, $115.00], point estimate $112.00.
        ## Recommendations
        - Buy ETH: allocate 50% of the portfolio, target $200.00 over 7 days; stop-loss at $90.00.
        """;

    private static TrainingExample Example(string id, string storedAnswer) =>
        new(id, TaskKind.MarketAnalysis, MarketCondition.Bull, "ethereum", Window().Start, End, "offline-analyst/1", $"Analyse ethereum ({id}).", "",
            storedAnswer, new MarketContext([Window()]), new ExampleReward(0, 1, null, new Dictionary<string, double>()), new Dictionary<string, string>());

    private static async Task<(int Code, string Out, string Err)> Run(string[] args, NpgsqlDataSource db)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ConnectionNames.Database}"] = db.ConnectionString,
            [$"ConnectionStrings:{ConnectionNames.Blobs}"] = await AzuriteServer.GetConnectionStringAsync(),
        };
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await EvalCli.RunAsync(args, stdout, stderr, settings: settings);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Evaluates_a_served_model_stores_the_run_publishes_the_report_and_compares_runs()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var blobs = await AzuriteServer.CreateStoreAsync();
        await new MarketStore(db).UpsertAsync(new MarketBatch([.. Window().Days, .. After()], []));
        var dataset = $"e{Guid.NewGuid():N}"[..16];
        // The teacher's stored answers differ from the served model's: its answer to b says ETH falls within a week.
        var examples = new[] { Example("a", Forecasting), Example("b", "## Forecast\nWe expect ETH to fall over the next week.") };
        await blobs.UploadTextAsync(BlobContainers.Datasets, $"{dataset}/v1/eval.jsonl", string.Join('\n', examples.Select(DatasetJson.ToLine)) + "\n");

        await using var model = await FakeChatServer.StartAsync(new Dictionary<string, string>
        {
            [examples[0].Prompt] = Forecasting,
            [examples[1].Prompt] = "## Summary\nNo view on the market.",
        });
        var (code, stdout, stderr) = await Run(["eval", "--model", "analyst", "--endpoint", model.BaseUrl.ToString(), "--dataset", dataset,
            "--version", "v1", "--max-tokens", "512"], db);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);

        // Greedy, with the fixed token limit, the prompt as the only user message.
        Assert.Equal(2, model.Received.Count);
        Assert.All(model.Received, r => Assert.Equal((0.0, 512, "analyst"), (r["temperature"]!.GetValue<double>(), r["max_tokens"]!.GetValue<int>(), r["model"]!.GetValue<string>())));

        // a: last close 109, said 112 in [105, 115]; on 03-17 the close is 116: a hit, APE 4/116 = 0.0345, not covered.
        // persistence: 109, APE 7/116 = 0.0603; its direction is the last 7 days' (102 → 109, up): a hit.
        // b states nothing. Backtest: a is 50 % long 7 days (109 → 116), b flat for 30 days; 10 bps a side. Pooled daily
        // returns: 0.9995·(1 + 0.5·1/109) − 1, 0.5·(1/110), … 0.5·(1/115)·… then 30 zeros: Sharpe 9.0858 (mean / sd · √365).
        // Buy-and-hold: 7 days then 30 days fully invested, Sharpe 242.4316.
        var last = stdout.TrimEnd().Split('\n')[^1];
        Assert.Matches(@"^reward=0\.\d+ direction_hit_rate=1 persistence_hit_rate=1 coverage_90=0 mape=0\.0345 persistence_mape=0\.0603 " +
                       @"sharpe=9\.0858 buy_and_hold_sharpe=242\.4316 answers=2 forecasts=1$", last);
        var id = long.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"Stored as evaluation (\d+)").Groups[1].Value);

        await using (var cmd = db.CreateCommand($"SELECT model, answers, forecasts, direction_hit_rate, mape, report_prefix FROM eval_runs WHERE id = {id}"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await r.ReadAsync());
            Assert.Equal(("analyst", 2, 1, 1.0, $"reports/eval/{id}"), (r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetDouble(3), r.GetString(5)));
            Assert.Equal(4.0 / 116, r.GetDouble(4), 12);
        }
        await using (var cmd = db.CreateCommand($"SELECT example_id, usable, hits, strategy_return FROM eval_answers WHERE run_id = {id} ORDER BY example_id"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await r.ReadAsync());
            Assert.Equal(("a", 1, 1), (r.GetString(0), r.GetInt32(1), r.GetInt32(2)));
            Assert.Equal(0.0306504486, r.GetDouble(3), 9);   // 0.9995 · Π(1 + 0.5 · r_t) · 0.9995 − 1
            Assert.True(await r.ReadAsync());
            Assert.Equal(("b", 0, 0.0), (r.GetString(0), r.GetInt32(1), r.GetDouble(3)));
        }

        var report = await blobs.DownloadTextAsync(BlobContainers.Reports, $"eval/{id}/report.md");
        Assert.Contains(last, report);
        Assert.Contains("![calibration](calibration.png)", report);
        foreach (var png in new[] { "reward_components.png", "error_by_horizon.png", "calibration.png", "equity.png" })
        {
            var path = Path.Combine(Path.GetTempPath(), $"cortex1-eval-{Guid.NewGuid():N}.png");
            await blobs.DownloadToFileAsync(BlobContainers.Reports, $"eval/{id}/{png}", path);
            var bytes = await File.ReadAllBytesAsync(path);
            File.Delete(path);
            Assert.True(bytes.Length > 5_000, $"{png}: {bytes.Length} bytes");
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }

        // The teacher's own answers on the same split: b's "fall within a week" misses (ETH rose), so hit rate 1/2.
        (code, stdout, stderr) = await Run(["eval", "--model", "teacher", "--dataset", dataset, "--version", "v1"], db);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        Assert.Contains(" direction_hit_rate=0.5 ", stdout.TrimEnd().Split('\n')[^1]);

        (code, stdout, stderr) = await Run(["eval", "compare", $"{id}", "teacher"], db);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        var hitRow = stdout.Split('\n').Single(l => l.StartsWith("direction_hit_rate", StringComparison.Ordinal));
        Assert.Matches(@"^direction_hit_rate\s+1\s+0\.5\s*$", hitRow);
        Assert.Contains($"{id}: analyst", stdout);
    }

    [Fact]
    public async Task A_missing_split_and_a_refusing_server_are_clear_errors()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var (code, _, stderr) = await Run(["eval", "--model", "analyst", "--dataset", "nope", "--version", "v1"], db);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no data set split at datasets/nope/v1/eval.jsonl", stderr);

        var blobs = await AzuriteServer.CreateStoreAsync();
        var dataset = $"e{Guid.NewGuid():N}"[..16];
        await blobs.UploadTextAsync(BlobContainers.Datasets, $"{dataset}/v1/eval.jsonl", DatasetJson.ToLine(Example("a", Forecasting)) + "\n");
        await using var model = await FakeChatServer.StartAsync(new Dictionary<string, string>());   // knows no prompt: 404
        (code, _, stderr) = await Run(["eval", "--model", "analyst", "--endpoint", model.BaseUrl.ToString(), "--dataset", dataset, "--version", "v1"], db);
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("answered 404", stderr);

        (code, _, stderr) = await Run(["eval", "compare", "999999", "nobody"], db);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no evaluation '999999'", stderr);
    }
}
