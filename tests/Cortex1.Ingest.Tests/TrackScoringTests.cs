using Cortex1.Data.Tracking;
using Cortex1.Domain;
using Cortex1.Evaluation.Forecasts;
using Cortex1.TestSupport;

namespace Cortex1.Ingest.Tests;

/// <summary>
/// Ingest scores tracked forecasts the moment it stores their due day's close: a forecast made on 2021-03-10 for 7
/// days is pending after an ingest that stops at 03-16 and scored by the ingest that brings 03-17.
/// </summary>
public sealed class TrackScoringTests
{
    private static MarketDay Day(DateOnly d, double close) => new("bitcoin", d, new Dictionary<string, double> { [MetricNames.CloseUsd] = close }, "test");

    [Fact]
    public async Task An_ingest_that_stores_the_due_day_scores_the_forecast()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        using var services = TestHost.Services(db);
        var ingestor = TestHost.Ingestor(services);
        var made = new DateOnly(2021, 3, 10);
        // Closes 50,000 … 50,900 over 03-01 … 03-10 (+100 a day).
        await ingestor.StoreAsync([new MarketSeries("bitcoin", [.. Enumerable.Range(0, 10).Select(i => Day(made.AddDays(i - 9), 50_000 + 100 * i))])]);

        // "BTC falls 4% in 7 days, 80% interval −10% … +2%", made at the close 50,900: a return forecast.
        var forecast = new Forecast("bitcoin", 7, ForecastUnit.Return, -0.04, -0.10, 0.02, 0.80, Direction.Down, "BTC to fall 4% over 7 days (80% CI: -10% to +2%).");
        var tracking = new TrackingStore(db);
        var id = await tracking.RecordAsync(new TrackedAnswer("m", "http://127.0.0.1:1/v1", "bitcoin", made, "x", "ask", forecast.Text),
            [new UsableForecast(forecast, [50_800, 50_900], made)]);
        Assert.NotNull(id);

        await ingestor.StoreAsync([new MarketSeries("bitcoin", [.. Enumerable.Range(1, 6).Select(t => Day(made.AddDays(t), 50_900 - 500 * t))])]);
        Assert.Null(Assert.Single(await tracking.ListAsync("m")).Score);   // 03-16 stored, 03-17 not: still pending

        // 03-17 closes at 48,000. Predicted down, 48,000 < 50,900: a hit. Point 50,900 · 0.96 = 48,864: APE 864/48,000 = 0.018.
        // Interval [45,810, 51,918] holds 48,000. Width 0.12 of the last close; Winkler (no miss) = width = 0.12.
        await ingestor.StoreAsync([new MarketSeries("bitcoin", [Day(made.AddDays(7), 48_000)])]);
        var s = Assert.Single(await tracking.ListAsync("m")).Score;
        Assert.NotNull(s);
        Assert.Equal((48_000.0, true, true), (s.Realised, s.Hit, s.Covered));
        Assert.Equal(0.018, s.Ape!.Value, 12);
        Assert.Equal(0.12, s.Width!.Value, 12);
        Assert.Equal(0.12, s.Winkler!.Value, 12);
        await using var cmd = db.CreateCommand("SELECT hit, ape, covered, scored_at IS NOT NULL FROM track_forecasts");
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal((true, true, true), (r.GetBoolean(0), r.GetBoolean(2), r.GetBoolean(3)));
        Assert.Equal(0.018, r.GetDouble(1), 12);
    }
}
