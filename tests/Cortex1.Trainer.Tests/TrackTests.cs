using System.Net.Http.Json;
using System.Text.Json;
using Cortex1.Data;
using Cortex1.Data.Market;
using Cortex1.Data.Storage;
using Cortex1.Data.Tracking;
using Cortex1.Domain;
using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.TestSupport;
using Cortex1.Trainer.Evaluation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cortex1.Trainer.Tests;

/// <summary>
/// Live prediction tracking end to end: a served model (a real HTTP server on 127.0.0.1) asked on the latest window of
/// a chain, its forecasts stored pending in PostgreSQL, the realised closes inserted later, the forecasts scored when
/// their day is stored, and the track record printed and served. Every number is worked out by hand below.
/// </summary>
public sealed class TrackTests
{
    private static readonly DateOnly End = new(2021, 3, 10);

    private static MarketDay Day(DateOnly d, double close) => new("ethereum", d, new Dictionary<string, double> { [MetricNames.CloseUsd] = close }, "test");

    // The latest window closes 100, 101, …, 109 (03-01 → 03-10); after it the price rises by 1 a day (03-17: 116, 04-09: 139).
    private static MarketSeries Window(DateOnly end) => new("ethereum", [.. Enumerable.Range(0, 10).Select(i => Day(end.AddDays(i - 9), 100 + i - (End.DayNumber - end.DayNumber)))]);
    private static MarketDay[] After(int from, int to) => [.. Enumerable.Range(from, to - from + 1).Select(t => Day(End.AddDays(t), 109 + t))];

    private const string Answer = """
        ## Forecast
        - 7-day price: 90% CI: [$105.00, $115.00], point estimate $112.00.
        - 30-day price: 90% CI: [$100.00, $130.00], point estimate $125.00.
        """;

    private static TrainingExample Example(string id, DateOnly end) =>
        new(id, TaskKind.MarketAnalysis, MarketCondition.Bull, "ethereum", Window(end).Start, end, "offline-analyst/1", $"Analyse ethereum ({id}).", "",
            "", new MarketContext([Window(end)]), new ExampleReward(0, 1, null, new Dictionary<string, double>()), new Dictionary<string, string>());

    private static async Task<(int Code, string Out, string Err)> Run(string[] args, NpgsqlDataSource db)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ConnectionNames.Database}"] = db.ConnectionString,
            [$"ConnectionStrings:{ConnectionNames.Blobs}"] = await AzuriteServer.GetConnectionStringAsync(),
        };
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await TrackCli.RunAsync(args, stdout, stderr, settings: settings);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string LastLine(string s) => s.TrimEnd().Split('\n')[^1];

    [Fact]
    public async Task Forecasts_on_the_latest_window_are_stored_pending_then_scored_when_their_day_is_stored()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var blobs = await AzuriteServer.CreateStoreAsync();
        var market = new MarketStore(db);
        await market.UpsertAsync(new MarketBatch([.. Window(End).Days], []));
        var dataset = $"t{Guid.NewGuid():N}"[..16];
        // An older window of the same chain is in the split too: only the latest is asked (the server does not know the older prompt).
        var latest = Example("latest", End);
        await blobs.UploadTextAsync(BlobContainers.Datasets, $"{dataset}/v1/eval.jsonl",
            string.Join('\n', new[] { Example("older", End.AddDays(-5)), latest }.Select(DatasetJson.ToLine)) + "\n");
        await using var model = await FakeChatServer.StartAsync(new Dictionary<string, string> { [latest.Prompt] = Answer });
        string[] track = ["track", "--model", "analyst", "--endpoint", model.BaseUrl.ToString(), "--dataset", dataset, "--version", "v1"];

        var (code, stdout, stderr) = await Run(track, db);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        Assert.Single(model.Received);
        // Made on 03-10 at the close 109: due 03-17 (7 days) and 04-09 (30 days); nothing after the window is stored yet.
        Assert.Equal("model=analyst answers=1 forecasts=2 scored_now=0", LastLine(stdout));
        Assert.Contains("due 2021-03-17, 2021-04-09", stdout);
        var tracking = new TrackingStore(db);
        var stored = await tracking.ListAsync("analyst");
        Assert.Equal([(new DateOnly(2021, 3, 17), 109.0, (double?)112.0), (new DateOnly(2021, 4, 9), 109.0, 125.0)],
            stored.Select(f => (f.Due, f.LastClose, f.Forecast.Point)));
        Assert.All(stored, f => Assert.Null(f.Score));

        // Ingest brings 03-11 … 03-20: the 7-day forecast is due. Scored: 112 vs 116, so up from 109 and right (a hit),
        // APE |112 − 116| / 116 = 0.034483; 116 is outside [105, 115] (not covered); width 10/109; Winkler
        // (10 + 2/0.1 · (116 − 115)) / 109 = 30/109.
        await market.UpsertAsync(new MarketBatch(After(1, 10), []));
        (code, stdout, stderr) = await Run(["track", "score"], db);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        Assert.Equal("scored_now=1", LastLine(stdout));
        await using (var cmd = db.CreateCommand("SELECT realised, hit, ape, covered, width, winkler FROM track_forecasts WHERE due_date = '2021-03-17'"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await r.ReadAsync());
            Assert.Equal((116.0, true, false), (r.GetDouble(0), r.GetBoolean(1), r.GetBoolean(3)));
            Assert.Equal(4.0 / 116, r.GetDouble(2), 12);
            Assert.Equal(10.0 / 109, r.GetDouble(4), 12);
            Assert.Equal(30.0 / 109, r.GetDouble(5), 12);
        }
        Assert.Equal(0, await tracking.ScoreDueAsync());   // scored once: a second pass finds nothing due

        // Then through 04-09 (close 139): the 30-day forecast, 125 vs 139: a hit, APE 14/139, not covered by [100, 130].
        await market.UpsertAsync(new MarketBatch(After(11, 30), []));
        Assert.Equal(1, await tracking.ScoreDueAsync());
        (code, stdout, stderr) = await Run(["track", "show", "--model", "analyst"], db);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        Assert.Equal("models=1 forecasts=2 scored=2 pending=0", LastLine(stdout));
        // Hit rate 2/2; MAPE (4/116 + 14/139) / 2 = 0.0676; persistence (109 both times) (7/116 + 30/139) / 2 = 0.1381; 90% coverage 0.
        var row = stdout.Split('\n').Single(l => l.StartsWith("analyst", StringComparison.Ordinal));
        Assert.Matches(@"^analyst\s+1\s+2\s+2\s+0\s+1\s+0\.0676\s+0\.1381\s+0\s+-\s*$", row);
        Assert.Matches(@"2021-03-10\s+ethereum\s+7\s+2021-03-17\s+112 90% \[105, 115\]\s+109\s+116\s+yes\s+0\.0345\s+no", stdout);

        // Asked again on the same window, the model is not asked (its first answer stands).
        (code, stdout, stderr) = await Run(track, db);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        Assert.Single(model.Received);
        Assert.Equal("model=analyst answers=0 forecasts=0 scored_now=0", LastLine(stdout));

        // The same record over HTTP.
        await using var app = await StartApiAsync(db);
        var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()) };
        var record = (await http.GetFromJsonAsync<JsonElement>("/api/evaluations/track-record?model=analyst"))[0];
        Assert.Equal(("analyst", 2, 2, 0), (record.GetProperty("model").GetString(), record.GetProperty("forecasts").GetInt32(),
            record.GetProperty("scored").GetInt32(), record.GetProperty("pending").GetInt32()));
        Assert.Equal(1.0, record.GetProperty("directionHitRate").GetDouble());
        Assert.Equal((4.0 / 116 + 14.0 / 139) / 2, record.GetProperty("mape").GetDouble(), 12);
        Assert.Equal((7.0 / 116 + 30.0 / 139) / 2, record.GetProperty("persistenceMape").GetDouble(), 12);
        Assert.Equal(0.0, record.GetProperty("coverage90").GetDouble());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("nextDue").ValueKind);
    }

    [Fact]
    public async Task A_stored_evaluations_answers_are_tracked_on_each_chains_latest_window()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var blobs = await AzuriteServer.CreateStoreAsync();
        await new MarketStore(db).UpsertAsync(new MarketBatch([.. Window(End).Days, .. After(1, 7)], []));
        var dataset = $"t{Guid.NewGuid():N}"[..16];
        var examples = new[] { Example("older", End.AddDays(-5)), Example("latest", End) };
        await blobs.UploadTextAsync(BlobContainers.Datasets, $"{dataset}/v1/eval.jsonl", string.Join('\n', examples.Select(DatasetJson.ToLine)) + "\n");
        await using var model = await FakeChatServer.StartAsync(examples.ToDictionary(e => e.Prompt, _ => Answer));
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ConnectionNames.Database}"] = db.ConnectionString,
            [$"ConnectionStrings:{ConnectionNames.Blobs}"] = await AzuriteServer.GetConnectionStringAsync(),
        };
        var (o, e) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Ok, await EvalCli.RunAsync(["eval", "--model", "analyst-eval", "--endpoint", model.BaseUrl.ToString(), "--dataset", dataset, "--version", "v1"],
            o, e, settings: settings));

        var (code, stdout, stderr) = await Run(["track", "from-eval", "analyst-eval"], db);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        // Only the latest window's answer; its 7-day forecast is due at once (03-17 is stored: 116), the 30-day one pending.
        Assert.Equal("model=analyst-eval answers=1 forecasts=2 scored_now=1", LastLine(stdout));
        var stored = await new TrackingStore(db).ListAsync("analyst-eval");
        Assert.Equal([true, false], stored.Select(f => f.Score is not null));
        Assert.Equal(4.0 / 116, stored[0].Score!.Ape!.Value, 12);
        var row = stdout.Split('\n').Single(l => l.StartsWith("analyst-eval", StringComparison.Ordinal));
        Assert.Matches(@"\s2021-04-09\s*$", row);   // the next due day

        (code, _, stderr) = await Run(["track", "from-eval", "nobody"], db);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no evaluation 'nobody'", stderr);
    }

    private static async Task<WebApplication> StartApiAsync(NpgsqlDataSource db)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(db).AddTrackingStore();
        var app = builder.Build();
        app.MapTrackRecordApi();
        await app.StartAsync();
        return app;
    }
}
