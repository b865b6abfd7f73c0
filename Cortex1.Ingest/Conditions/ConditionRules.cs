using Cortex1.Domain;
using Cortex1.Data.Market;

namespace Cortex1.Ingest.Conditions;

/// <summary>
/// THE one place where market-condition thresholds live. Every threshold is in the unit of the
/// metric it is compared with (see <see cref="MetricNames"/> and Metrics/DerivedMetrics.cs):
/// growth is a fraction over the window (0.20 = +20 %); volatility is the sample standard deviation
/// of daily log changes, a fraction per day, not annualised (0.05 ≈ 5 % typical daily move) — never a
/// raw standard deviation of counts. Rules are checked top to bottom; the first that holds wins; a
/// day lacking any metric its mapping reads gets no label. Comparisons are inclusive (≥, ≤) at
/// the threshold, and "flat" means strictly inside ±<see cref="FlatWeek"/>.
/// </summary>
public static class ConditionRules
{
    /// <summary>|30-day growth| at or beyond this is a trend (bull or bear). Fraction.</summary>
    public const double TrendMonth = 0.20;

    /// <summary>A 30-day move at least this big that the last 7 days reverse by <see cref="ReversalWeek"/>: recovery or correction. Fraction.</summary>
    public const double CounterMonth = 0.10;

    /// <summary>A 7-day move against the 30-day direction at least this big. Fraction.</summary>
    public const double ReversalWeek = 0.10;

    /// <summary>7-day growth strictly inside ±this is a flat week. Fraction.</summary>
    public const double FlatWeek = 0.05;

    /// <summary>Price: 30-day realised volatility of daily log returns at or above this is volatile. Fraction per day.</summary>
    public const double PriceVolatility = 0.05;

    /// <summary>Price: 7-day trading volume up at least this much over the week before, in a flat week. Fraction.</summary>
    public const double VolumeSurge = 0.10;

    /// <summary>On-chain: 30-day volatility of daily log changes in transaction count at or above this is volatile. Fraction per day.</summary>
    public const double ActivityVolatility = 0.25;

    /// <summary>On-chain: 7-day growth of unique users at least this much. Fraction.</summary>
    public const double UserSurge = 0.10;

    /// <summary>On-chain: 7-day transfer volume up at least this much over the week before. Fraction.</summary>
    public const double TransferSurge = 0.30;

    /// <summary>
    /// Price/volume mapping (basis <c>market</c>). Reads price_growth_30d (g30), price_growth_7d (g7),
    /// volatility_30d (v30), volume_growth_7d (vol7):
    /// bull: g30 ≥ +0.20 and g7 ≥ 0 · bear: g30 ≤ −0.20 and g7 ≤ 0 ·
    /// recovery: g30 ≤ −0.10 and g7 ≥ +0.10 · correction: g30 ≥ +0.10 and g7 ≤ −0.10 ·
    /// volatile: v30 ≥ 0.05 · accumulation: |g7| &lt; 0.05, vol7 ≥ +0.10, g30 ≤ 0 (flat after a fall, volume rising) ·
    /// distribution: |g7| &lt; 0.05, vol7 ≥ +0.10, g30 &gt; 0 (flat after a rise, volume rising) · otherwise sideways.
    /// </summary>
    public static MarketCondition? FromPriceVolume(IReadOnlyDictionary<string, double> m)
    {
        if (!m.TryGetValue(MetricNames.PriceGrowth30d, out var g30) || !m.TryGetValue(MetricNames.PriceGrowth7d, out var g7) ||
            !m.TryGetValue(MetricNames.Volatility30d, out var v30) || !m.TryGetValue(MetricNames.VolumeGrowth7d, out var vol7))
            return null;
        return Classify(g30, g7, isVolatile: v30 >= PriceVolatility,
            accumulation: Math.Abs(g7) < FlatWeek && vol7 >= VolumeSurge && g30 <= 0,
            distribution: Math.Abs(g7) < FlatWeek && vol7 >= VolumeSurge && g30 > 0);
    }

    /// <summary>
    /// On-chain mapping (basis <c>onchain</c>): the same trend rules on transaction count
    /// (txn_growth_30d = g30, txn_growth_7d = g7), then
    /// volatile: txn_volatility_30d ≥ 0.25 ·
    /// accumulation: |g7| &lt; 0.05 and user_growth_7d ≥ +0.10 (new holders arrive while activity is flat) ·
    /// distribution: |g7| &lt; 0.05, transfer_volume_growth_7d ≥ +0.30 and user_growth_7d ≤ 0 (more value moves
    /// between fewer users) · otherwise sideways.
    /// </summary>
    public static MarketCondition? FromOnChain(IReadOnlyDictionary<string, double> m)
    {
        if (!m.TryGetValue(MetricNames.TransactionGrowth30d, out var g30) || !m.TryGetValue(MetricNames.TransactionGrowth7d, out var g7) ||
            !m.TryGetValue(MetricNames.TransactionVolatility30d, out var v30) || !m.TryGetValue(MetricNames.UserGrowth7d, out var users7) ||
            !m.TryGetValue(MetricNames.TransferVolumeGrowth7d, out var transfer7))
            return null;
        return Classify(g30, g7, isVolatile: v30 >= ActivityVolatility,
            accumulation: Math.Abs(g7) < FlatWeek && users7 >= UserSurge,
            distribution: Math.Abs(g7) < FlatWeek && transfer7 >= TransferSurge && users7 <= 0);
    }

    // The order both mappings share: trends, then reversals, then volatility, then flat-market patterns.
    private static MarketCondition Classify(double g30, double g7, bool isVolatile, bool accumulation, bool distribution)
    {
        if (g30 >= TrendMonth && g7 >= 0) return MarketCondition.Bull;
        if (g30 <= -TrendMonth && g7 <= 0) return MarketCondition.Bear;
        if (g30 <= -CounterMonth && g7 >= ReversalWeek) return MarketCondition.Recovery;
        if (g30 >= CounterMonth && g7 <= -ReversalWeek) return MarketCondition.Correction;
        if (isVolatile) return MarketCondition.Volatile;
        if (accumulation) return MarketCondition.Accumulation;
        if (distribution) return MarketCondition.Distribution;
        return MarketCondition.Sideways;
    }

    /// <summary>Labels every day of every series under both mappings, where the metrics allow.</summary>
    public static IReadOnlyList<DailyCondition> Label(IEnumerable<MarketSeries> series) =>
    [
        .. from s in series
           from d in s.Days
           from pair in new[] { (ConditionBasis.Market, FromPriceVolume(d.Metrics)), (ConditionBasis.OnChain, FromOnChain(d.Metrics)) }
           where pair.Item2 is not null
           select new DailyCondition(s.Chain, d.Day, pair.Item1, pair.Item2!.Value),
    ];
}
