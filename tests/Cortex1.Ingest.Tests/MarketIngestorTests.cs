using Cortex1.Domain;
using Cortex1.Data.Market;
using Cortex1.Ingest.Flipside;
using Cortex1.Ingest.Metrics;
using Cortex1.Ingest.Pipeline;
using Cortex1.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Cortex1.Ingest.Tests;

public sealed class MarketIngestorTests
{
    private static async Task<long> Count(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Loading_the_embedded_history_twice_stores_it_once_with_metrics_and_labels()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var services = TestHost.Services(db);
        var ingestor = TestHost.Ingestor(services);
        var stages = new List<IngestProgress>();

        var first = await ingestor.LoadEmbeddedAsync((p, _) => { stages.Add(p); return Task.CompletedTask; });
        var rows = await Count(db, "SELECT count(*) FROM market_metrics");
        var labels = await Count(db, "SELECT count(*) FROM market_conditions");
        var second = await ingestor.LoadEmbeddedAsync();

        Assert.Equal(3018, first.RawDays);
        Assert.Equal(rows, await Count(db, "SELECT count(*) FROM market_metrics"));
        Assert.Equal(labels, await Count(db, "SELECT count(*) FROM market_conditions"));
        Assert.Equal(first.RowsWritten, second.RowsWritten);
        Assert.Equal(3018, await Count(db, "SELECT count(DISTINCT (chain, day)) FROM market_metrics"));
        Assert.Contains(stages, p => p.Stage == "store" && p.Done == p.Total);

        var store = services.GetRequiredService<MarketStore>();
        Assert.Equal(["bitcoin", "ethereum", "solana"], (await store.GetChainsAsync()).Select(c => c.Chain));
        var jan31 = (await store.GetDaysAsync("bitcoin", new DateOnly(2018, 1, 31), new DateOnly(2018, 1, 31))).Days.Single();
        Assert.Equal("embedded", jan31.Source);
        Assert.Equal(10221.099609375 / 13657.2001953125 - 1, jan31.Get(MetricNames.PriceGrowth30d)!.Value, 12);
        Assert.NotNull(jan31.Get(MetricNames.Correlation30d("ethereum")));
        // Labels as the rules give them for the stored metrics.
        var label = (await store.GetConditionsAsync("bitcoin", jan31.Day, jan31.Day)).Single();
        Assert.Equal(Conditions.ConditionRules.FromPriceVolume(jan31.Metrics), label.Condition);
        Assert.Equal(ConditionBasis.Market, label.Basis);
    }

    [Fact]
    public async Task Fetch_stores_flipside_days_with_derived_metrics_and_a_rerun_changes_nothing()
    {
        await using var fake = await FakeFlipside.StartAsync();
        var start = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-40);
        // 40 days of NEAR activity over two result pages; transactions grow 2 % a day.
        var rows = Enumerable.Range(0, 40).Select(i => new object?[]
        {
            start.AddDays(i).ToString("yyyy-MM-dd"), Math.Round(1000 * Math.Pow(1.02, i)), 300 + i, 5000.5, 125.0125, 12.5, 0.97,
        }).ToArray();
        fake.Runs["run-1"] = new FakeFlipside.Run
        {
            Columns = ["day", "daily_txns", "unique_users", "transfer_volume", "avg_tx_value", "total_fees", "success_rate"],
            Pages = [rows[..25], rows[25..]],
        };
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var services = TestHost.Services(db, fake);
        var ingestor = TestHost.Ingestor(services);

        var summary = await ingestor.FetchAsync(40, ["near"]);
        var count = await Count(db, "SELECT count(*) FROM market_metrics");
        await ingestor.FetchAsync(40, ["near"]);

        Assert.Equal(40, summary.RawDays);
        Assert.Equal(count, await Count(db, "SELECT count(*) FROM market_metrics"));
        var sql = fake.CallsOf("createQueryRun").First().Params!["sql"]!.GetValue<string>();
        Assert.Contains("near.core.fact_transactions", sql);
        Assert.Contains("1e24", sql); // yoctoNEAR → NEAR

        var store = services.GetRequiredService<MarketStore>();
        var last = (await store.GetDaysAsync("near", start.AddDays(39), start.AddDays(39))).Days.Single();
        Assert.Equal("flipside", last.Source);
        Assert.Equal(0.97, last.Get(MetricNames.SuccessRate));
        Assert.Equal(Math.Round(1000 * Math.Pow(1.02, 39)) / Math.Round(1000 * Math.Pow(1.02, 32)) - 1,
            last.Get(MetricNames.TransactionGrowth7d)!.Value, 12);
        Assert.Equal(339.0 / 332 - 1, last.Get(MetricNames.UserGrowth7d)!.Value, 12);
        Assert.NotEmpty(await store.GetConditionsAsync("near", start, start.AddDays(39)));
        Assert.All(await store.GetConditionsAsync("near", start, start.AddDays(39)), c => Assert.Equal(ConditionBasis.OnChain, c.Basis));
    }

    [Fact]
    public async Task Fetch_without_a_key_is_an_error_and_writes_nothing()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var services = TestHost.Services(db, flipside: null);

        var e = await Assert.ThrowsAsync<FlipsideNotConfiguredException>(() => TestHost.Ingestor(services).FetchAsync(30, ["ethereum"]));

        Assert.Contains("Flipside:ApiKey", e.Message);
        Assert.Equal(0, await Count(db, "SELECT count(*) FROM market_metrics"));
    }

    [Fact]
    public async Task Unknown_chains_are_refused_before_any_query()
    {
        await using var fake = await FakeFlipside.StartAsync();
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var services = TestHost.Services(db, fake);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => TestHost.Ingestor(services).FetchAsync(30, ["near", "dogechain"]));

        Assert.Contains("dogechain", e.Message);
        Assert.Empty(fake.Calls);
    }

    [Fact]
    public void Every_chain_query_yields_the_metric_columns_in_native_units()
    {
        foreach (var q in OnChain.ChainQueries.All)
        {
            var sql = OnChain.ChainQueries.Sql(q, 30);
            Assert.DoesNotContain("{", sql);
            foreach (var column in new[] { MetricNames.DailyTransactions, MetricNames.UniqueUsers, MetricNames.TransferVolume,
                         MetricNames.AvgTransactionValue, MetricNames.TotalFees, MetricNames.SuccessRate })
                Assert.Contains($"AS {column}", sql);
            Assert.Contains($"-30", sql);
        }
        Assert.Contains("/ 1e18", OnChain.ChainQueries.Sql(OnChain.ChainQueries.Get("ethereum"), 7)); // wei → ETH
        Assert.Contains("/ 1e24", OnChain.ChainQueries.Sql(OnChain.ChainQueries.Get("near"), 7));     // yoctoNEAR → NEAR
        Assert.True(DerivedMetrics.IsDerived(MetricNames.Correlation30d("near")));
    }
}
