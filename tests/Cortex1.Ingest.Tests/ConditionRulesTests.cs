using Cortex1.Domain;
using Cortex1.Data.Market;
using Cortex1.Ingest.Conditions;
using static Cortex1.Ingest.Conditions.ConditionRules;

namespace Cortex1.Ingest.Tests;

/// <summary>Every threshold exactly at its boundary and one step beyond it.</summary>
public sealed class ConditionRulesTests
{
    private const double Step = 1e-9;

    private static MarketCondition? Price(double g30, double g7, double v30 = 0.01, double vol7 = 0) => FromPriceVolume(new Dictionary<string, double>
    {
        [MetricNames.PriceGrowth30d] = g30, [MetricNames.PriceGrowth7d] = g7,
        [MetricNames.Volatility30d] = v30, [MetricNames.VolumeGrowth7d] = vol7,
    });

    private static MarketCondition? Chain(double g30, double g7, double v30 = 0.01, double users7 = 0, double transfer7 = 0) => FromOnChain(new Dictionary<string, double>
    {
        [MetricNames.TransactionGrowth30d] = g30, [MetricNames.TransactionGrowth7d] = g7,
        [MetricNames.TransactionVolatility30d] = v30, [MetricNames.UserGrowth7d] = users7,
        [MetricNames.TransferVolumeGrowth7d] = transfer7,
    });

    [Fact]
    public void Bull_and_bear_start_exactly_at_the_30_day_trend_threshold()
    {
        Assert.Equal(MarketCondition.Bull, Price(TrendMonth, 0));
        Assert.NotEqual(MarketCondition.Bull, Price(TrendMonth - Step, 0));
        Assert.NotEqual(MarketCondition.Bull, Price(TrendMonth, -Step)); // the last week must not be falling
        Assert.Equal(MarketCondition.Bear, Price(-TrendMonth, 0));
        Assert.NotEqual(MarketCondition.Bear, Price(-TrendMonth + Step, 0));
        Assert.NotEqual(MarketCondition.Bear, Price(-TrendMonth, Step));
    }

    [Fact]
    public void Recovery_and_correction_need_both_the_month_and_the_reversing_week()
    {
        Assert.Equal(MarketCondition.Recovery, Price(-CounterMonth, ReversalWeek));
        Assert.Equal(MarketCondition.Sideways, Price(-CounterMonth + Step, ReversalWeek));
        Assert.Equal(MarketCondition.Sideways, Price(-CounterMonth, ReversalWeek - Step));
        Assert.Equal(MarketCondition.Correction, Price(CounterMonth, -ReversalWeek));
        Assert.Equal(MarketCondition.Sideways, Price(CounterMonth - Step, -ReversalWeek));
        Assert.Equal(MarketCondition.Sideways, Price(CounterMonth, -ReversalWeek + Step));
        // A strong trend outranks the reversal: −25 % month with +10 % week is recovery, −25 % with 0 is bear.
        Assert.Equal(MarketCondition.Recovery, Price(-0.25, ReversalWeek));
    }

    [Fact]
    public void Volatile_starts_at_the_daily_volatility_threshold_in_matching_units()
    {
        Assert.Equal(MarketCondition.Volatile, Price(0, 0, v30: PriceVolatility));
        Assert.Equal(MarketCondition.Sideways, Price(0, 0, v30: PriceVolatility - Step));
        Assert.Equal(MarketCondition.Bull, Price(TrendMonth, 0, v30: 0.2)); // a trend wins over volatility
        Assert.Equal(MarketCondition.Volatile, Chain(0, 0, v30: ActivityVolatility));
        Assert.Equal(MarketCondition.Sideways, Chain(0, 0, v30: ActivityVolatility - Step));
    }

    [Fact]
    public void Accumulation_and_distribution_need_a_flat_week_and_a_volume_surge()
    {
        Assert.Equal(MarketCondition.Accumulation, Price(0, 0, vol7: VolumeSurge));
        Assert.Equal(MarketCondition.Sideways, Price(0, 0, vol7: VolumeSurge - Step));
        Assert.Equal(MarketCondition.Accumulation, Price(0, FlatWeek - Step, vol7: VolumeSurge));
        Assert.Equal(MarketCondition.Sideways, Price(0, FlatWeek, vol7: VolumeSurge)); // flat is strictly inside ±5 %
        Assert.Equal(MarketCondition.Sideways, Price(0, -FlatWeek, vol7: VolumeSurge));
        Assert.Equal(MarketCondition.Distribution, Price(Step, 0, vol7: VolumeSurge)); // after a rise
    }

    [Fact]
    public void On_chain_mapping_has_its_own_documented_patterns()
    {
        Assert.Equal(MarketCondition.Bull, Chain(TrendMonth, 0));
        Assert.Equal(MarketCondition.Bear, Chain(-TrendMonth, 0));
        Assert.Equal(MarketCondition.Accumulation, Chain(0, 0, users7: UserSurge));
        Assert.Equal(MarketCondition.Sideways, Chain(0, 0, users7: UserSurge - Step));
        Assert.Equal(MarketCondition.Distribution, Chain(0, 0, users7: 0, transfer7: TransferSurge));
        Assert.Equal(MarketCondition.Sideways, Chain(0, 0, users7: 0, transfer7: TransferSurge - Step));
        Assert.Equal(MarketCondition.Sideways, Chain(0, 0, users7: Step, transfer7: TransferSurge)); // users must not grow
    }

    [Fact]
    public void Days_missing_a_metric_get_no_label_and_each_basis_uses_its_own_mapping()
    {
        Assert.Null(FromPriceVolume(new Dictionary<string, double> { [MetricNames.PriceGrowth30d] = 0.5 }));
        var day = new MarketDay("x", new DateOnly(2025, 1, 1), new Dictionary<string, double>
        {
            [MetricNames.PriceGrowth30d] = 0.3, [MetricNames.PriceGrowth7d] = 0.01,
            [MetricNames.Volatility30d] = 0.01, [MetricNames.VolumeGrowth7d] = 0,
        }, "test");
        var labels = Label([new MarketSeries("x", [day])]);
        var only = Assert.Single(labels);
        Assert.Equal((ConditionBasis.Market, MarketCondition.Bull), (only.Basis, only.Condition));
    }

    [Fact]
    public void Every_label_occurs_in_the_embedded_history()
    {
        var derived = Metrics.DerivedMetrics.Compute(Embedded.EmbeddedHistory.Load());
        var seen = Label(derived).Select(c => c.Condition).ToHashSet();
        Assert.Equal(Enum.GetValues<MarketCondition>().ToHashSet(), seen);
    }
}
