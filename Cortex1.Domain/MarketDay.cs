using System.Text.Json.Serialization;

namespace Cortex1.Domain;

/// <summary>
/// Every metric of one chain or asset on one UTC day. Metrics are named values (see
/// <see cref="MetricNames"/>) so that a new chain or metric is data, not new code.
/// </summary>
/// <param name="Chain">Lower-case chain or asset key: <c>bitcoin</c>, <c>ethereum</c>, <c>solana</c>, <c>near</c>, …</param>
/// <param name="Day">The UTC calendar day the values describe.</param>
/// <param name="Metrics">Metric name → value. Missing metrics are absent, never zero.</param>
/// <param name="Source">Where the raw values came from: <c>embedded</c>, <c>flipside</c>, …</param>
public sealed record MarketDay(string Chain, DateOnly Day, IReadOnlyDictionary<string, double> Metrics, string Source)
{
    public double? Get(string metric) => Metrics.TryGetValue(metric, out var v) ? v : null;
}

/// <summary>Consecutive days of one chain, oldest first.</summary>
public sealed record MarketSeries(string Chain, IReadOnlyList<MarketDay> Days)
{
    [JsonIgnore] public DateOnly Start => Days[0].Day;
    [JsonIgnore] public DateOnly End => Days[^1].Day;
    [JsonIgnore] public MarketDay Last => Days[^1];
}

/// <summary>
/// The market data an example's prompt was built from. It travels with the example so the reward
/// system can recompute every number the completion states.
/// </summary>
public sealed record MarketContext(IReadOnlyList<MarketSeries> Series)
{
    public MarketSeries? Find(string chain) =>
        Series.FirstOrDefault(s => string.Equals(s.Chain, chain, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every metric name present on any day of any series.</summary>
    [JsonIgnore]
    public IReadOnlySet<string> MetricNames =>
        Series.SelectMany(s => s.Days).SelectMany(d => d.Metrics.Keys).ToHashSet(StringComparer.Ordinal);
}
