using Cortex1.Domain;
using Cortex1.Data.Market;
using Cortex1.TestSupport;
using Npgsql;

namespace Cortex1.Ingest.Tests;

/// <summary>MarketStore on a real, freshly migrated PostgreSQL database.</summary>
public sealed class MarketStoreTests
{
    private static readonly DateOnly D0 = new(2025, 3, 1);

    private static MarketDay Day(string chain, int offset, double close, string source = "test") =>
        new(chain, D0.AddDays(offset), new Dictionary<string, double> { [MetricNames.CloseUsd] = close, [MetricNames.VolumeUsd] = close * 10 }, source);

    private static MarketBatch Batch(int days, double scale = 1) => new(
        [.. Enumerable.Range(0, days).Select(i => Day("bitcoin", i, (100 + i) * scale))],
        [.. Enumerable.Range(0, days).Select(i => new DailyCondition("bitcoin", D0.AddDays(i), ConditionBasis.Market, MarketCondition.Sideways))]);

    private static async Task<long> Count(NpgsqlDataSource db, string table)
    {
        await using var cmd = db.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Writes_and_reads_back_days_conditions_and_chains()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var store = new MarketStore(db);
        var batch = Batch(5);
        batch = batch with
        {
            Days = [.. batch.Days, new MarketDay("bitcoin", D0, new Dictionary<string, double> { [MetricNames.PriceGrowth1d] = 0.5 }, MarketStore.DerivedSource)],
        };

        var written = await store.UpsertAsync(batch);

        Assert.Equal(5 * 2 + 1 + 5, written);
        var series = await store.GetDaysAsync("bitcoin", D0.AddDays(1), D0.AddDays(3));
        Assert.Equal([D0.AddDays(1), D0.AddDays(2), D0.AddDays(3)], series.Days.Select(d => d.Day));
        Assert.Equal(101, series.Days[0].Get(MetricNames.CloseUsd));
        Assert.Equal("test", series.Days[0].Source);
        var first = (await store.GetDaysAsync("bitcoin", D0, D0)).Days.Single();
        Assert.Equal(0.5, first.Get(MetricNames.PriceGrowth1d));
        Assert.Equal("test", first.Source); // derived rows do not count as a source

        var conditions = await store.GetConditionsAsync("bitcoin", D0, D0.AddDays(10));
        Assert.Equal(5, conditions.Count);
        Assert.All(conditions, c => Assert.Equal(MarketCondition.Sideways, c.Condition));

        var chain = Assert.Single(await store.GetChainsAsync());
        Assert.Equal(("bitcoin", D0, D0.AddDays(4), 5), (chain.Chain, chain.FirstDay, chain.LastDay, chain.Days));
        Assert.Equal(["test"], chain.Sources);
        Assert.True(await store.HasSourceAsync("test"));
        Assert.False(await store.HasSourceAsync("flipside"));
    }

    [Fact]
    public async Task Rerunning_a_batch_duplicates_nothing_and_a_changed_value_replaces_the_old_one()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var store = new MarketStore(db);

        await store.UpsertAsync(Batch(20));
        await store.UpsertAsync(Batch(20));
        Assert.Equal(40, await Count(db, "market_metrics"));
        Assert.Equal(20, await Count(db, "market_conditions"));

        var changed = Batch(20, scale: 2) with
        {
            Conditions = [new DailyCondition("bitcoin", D0, ConditionBasis.Market, MarketCondition.Bull)],
        };
        await store.UpsertAsync(changed);

        Assert.Equal(40, await Count(db, "market_metrics"));
        Assert.Equal(20, await Count(db, "market_conditions"));
        Assert.Equal(200, (await store.GetDaysAsync("bitcoin", D0, D0)).Days.Single().Get(MetricNames.CloseUsd));
        Assert.Equal(MarketCondition.Bull, (await store.GetConditionsAsync("bitcoin", D0, D0)).Single().Condition);
    }

    [Fact]
    public async Task A_batch_repeating_a_key_keeps_the_last_value()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var store = new MarketStore(db);

        await store.UpsertAsync(new MarketBatch([Day("bitcoin", 0, 1), Day("bitcoin", 0, 2)], []));

        Assert.Equal(2, (await store.GetDaysAsync("bitcoin", D0, D0)).Days.Single().Get(MetricNames.CloseUsd));
    }

    [Fact]
    public async Task A_failure_mid_batch_leaves_no_rows()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var store = new MarketStore(db);
        // 500 good days, then one NaN the table's CHECK rejects.
        var batch = Batch(500);
        batch = batch with { Days = [.. batch.Days, Day("bitcoin", 500, double.NaN)] };

        await Assert.ThrowsAsync<PostgresException>(() => store.UpsertAsync(batch));

        Assert.Equal(0, await Count(db, "market_metrics"));
        Assert.Equal(0, await Count(db, "market_conditions"));
    }

    [Fact]
    public async Task A_failure_in_the_labels_after_the_metrics_were_inserted_rolls_back_the_metrics_too()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var store = new MarketStore(db);
        await store.UpsertAsync(Batch(10));

        // Metrics change (and are inserted first); then a label with an invalid chain key fails.
        var bad = Batch(10, scale: 3) with
        {
            Conditions = [new DailyCondition("Not A Key", D0, ConditionBasis.Market, MarketCondition.Bear)],
        };
        await Assert.ThrowsAsync<PostgresException>(() => store.UpsertAsync(bad));

        var days = (await store.GetDaysAsync("bitcoin", D0, D0.AddDays(9))).Days;
        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => 100.0 + i)], days.Select(d => d.Get(MetricNames.CloseUsd)!.Value));
        Assert.Equal(20, await Count(db, "market_metrics"));
        Assert.Equal(10, await Count(db, "market_conditions"));
    }
}
