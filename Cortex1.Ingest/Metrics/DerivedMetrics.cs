using Cortex1.Domain;

namespace Cortex1.Ingest.Metrics;

/// <summary>
/// Metrics derived from raw daily values, computed here in C# for every source alike (embedded
/// history and Flipside), so the numbers a prompt cites are computed one way only.
/// Definitions, for day t (a value is absent when any day it needs is missing or not positive):
/// <list type="bullet">
/// <item>growth over N days = x[t] / x[t−N] − 1 (a fraction: 0.05 = +5 %).</item>
/// <item>log return r[t] = ln(x[t] / x[t−1]).</item>
/// <item>realised volatility over N days = sample standard deviation (n − 1) of r[t−N+1 … t]: a
///   fraction per day, not annualised (0.05 ≈ 5 % typical daily move).</item>
/// <item>window growth over 7 days = Σx[t−6 … t] / Σx[t−13 … t−7] − 1 (daily volume is too noisy to
///   compare two single days).</item>
/// <item>30-day correlation with chain B = Pearson correlation of r_A and r_B over t−29 … t.</item>
/// </list>
/// </summary>
public static class DerivedMetrics
{
    private enum Kind { Growth, WindowGrowth, Volatility }

    private sealed record Spec(string Base, Kind Kind, int Days, string Name);

    private static readonly Spec[] Specs =
    [
        new(MetricNames.CloseUsd, Kind.Growth, 1, MetricNames.PriceGrowth1d),
        new(MetricNames.CloseUsd, Kind.Growth, 7, MetricNames.PriceGrowth7d),
        new(MetricNames.CloseUsd, Kind.Growth, 30, MetricNames.PriceGrowth30d),
        new(MetricNames.CloseUsd, Kind.Volatility, 7, MetricNames.Volatility7d),
        new(MetricNames.CloseUsd, Kind.Volatility, 30, MetricNames.Volatility30d),
        new(MetricNames.VolumeUsd, Kind.WindowGrowth, 7, MetricNames.VolumeGrowth7d),
        new(MetricNames.DailyTransactions, Kind.Growth, 7, MetricNames.TransactionGrowth7d),
        new(MetricNames.DailyTransactions, Kind.Growth, 30, MetricNames.TransactionGrowth30d),
        new(MetricNames.DailyTransactions, Kind.Volatility, 30, MetricNames.TransactionVolatility30d),
        new(MetricNames.UniqueUsers, Kind.Growth, 7, MetricNames.UserGrowth7d),
        new(MetricNames.TransferVolume, Kind.WindowGrowth, 7, MetricNames.TransferVolumeGrowth7d),
    ];

    /// <summary>Metrics whose log returns are correlated across chains, and the name each correlation gets.</summary>
    private static readonly (string Base, Func<string, string> Name)[] Correlations =
    [
        (MetricNames.CloseUsd, MetricNames.Correlation30d),
        (MetricNames.DailyTransactions, MetricNames.TransactionCorrelation30d),
    ];

    public const int CorrelationDays = 30;

    private static readonly HashSet<string> DerivedNames = [.. Specs.Select(s => s.Name)];

    /// <summary>True for names this class computes (so stored derived values are recomputed, not trusted).</summary>
    public static bool IsDerived(string metric) =>
        DerivedNames.Contains(metric) || Correlations.Any(c => metric.StartsWith(c.Name(""), StringComparison.Ordinal));

    /// <summary>
    /// Returns the series with their raw metrics kept and every derived metric (re)computed,
    /// correlations across all the given chains included.
    /// </summary>
    public static IReadOnlyList<MarketSeries> Compute(IReadOnlyList<MarketSeries> series)
    {
        var output = series.ToDictionary(s => s.Chain, s => s.Days.ToDictionary(d => d.Day,
            d => d.Metrics.Where(m => !IsDerived(m.Key)).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal)));

        foreach (var s in series)
        {
            var days = output[s.Chain];
            foreach (var spec in Specs)
            {
                var values = Column(days, spec.Base);
                if (values.Count == 0) continue;
                foreach (var (day, metrics) in days)
                    if (Evaluate(spec, values, day) is { } v) metrics[spec.Name] = v;
            }
        }

        foreach (var (baseMetric, name) in Correlations)
        {
            var returns = series.ToDictionary(s => s.Chain, s => LogReturns(Column(output[s.Chain], baseMetric)));
            foreach (var a in series)
                foreach (var b in series)
                {
                    if (a.Chain == b.Chain || returns[a.Chain].Count == 0 || returns[b.Chain].Count == 0) continue;
                    foreach (var (day, metrics) in output[a.Chain])
                        if (Correlation(returns[a.Chain], returns[b.Chain], day, CorrelationDays) is { } c)
                            metrics[name(b.Chain)] = c;
                }
        }

        return [.. series.Select(s => new MarketSeries(s.Chain,
            [.. s.Days.Select(d => d with { Metrics = output[s.Chain][d.Day] })]))];
    }

    private static Dictionary<DateOnly, double> Column(Dictionary<DateOnly, Dictionary<string, double>> days, string metric) =>
        days.Where(d => d.Value.TryGetValue(metric, out _)).ToDictionary(d => d.Key, d => d.Value[metric]);

    private static double? Evaluate(Spec spec, Dictionary<DateOnly, double> x, DateOnly t) => spec.Kind switch
    {
        Kind.Growth => Growth(x, t, spec.Days),
        Kind.WindowGrowth => WindowGrowth(x, t, spec.Days),
        Kind.Volatility => Volatility(LogReturnsEnding(x, t, spec.Days)),
        _ => throw new ArgumentOutOfRangeException(nameof(spec)),
    };

    public static double? Growth(IReadOnlyDictionary<DateOnly, double> x, DateOnly t, int days) =>
        x.TryGetValue(t, out var now) && x.TryGetValue(t.AddDays(-days), out var then) && then > 0 && now >= 0
            ? now / then - 1
            : null;

    public static double? WindowGrowth(IReadOnlyDictionary<DateOnly, double> x, DateOnly t, int days)
    {
        var recent = Sum(x, t, days);
        var before = Sum(x, t.AddDays(-days), days);
        return recent is { } r && before is { } b && b > 0 ? r / b - 1 : null;
    }

    private static double? Sum(IReadOnlyDictionary<DateOnly, double> x, DateOnly end, int days)
    {
        var sum = 0.0;
        for (var i = 0; i < days; i++)
        {
            if (!x.TryGetValue(end.AddDays(-i), out var v)) return null;
            sum += v;
        }
        return sum;
    }

    private static double? LogReturn(IReadOnlyDictionary<DateOnly, double> x, DateOnly t) =>
        x.TryGetValue(t, out var now) && x.TryGetValue(t.AddDays(-1), out var prev) && now > 0 && prev > 0
            ? Math.Log(now / prev)
            : null;

    private static Dictionary<DateOnly, double> LogReturns(Dictionary<DateOnly, double> x) =>
        x.Keys.Select(t => (t, r: LogReturn(x, t))).Where(p => p.r is not null).ToDictionary(p => p.t, p => p.r!.Value);

    /// <summary>The <paramref name="days"/> log returns ending on <paramref name="t"/>, or null if any is missing.</summary>
    private static double[]? LogReturnsEnding(IReadOnlyDictionary<DateOnly, double> x, DateOnly t, int days)
    {
        var r = new double[days];
        for (var i = 0; i < days; i++)
        {
            if (LogReturn(x, t.AddDays(-(days - 1 - i))) is not { } v) return null;
            r[i] = v;
        }
        return r;
    }

    /// <summary>Sample standard deviation (n − 1).</summary>
    private static double? Volatility(double[]? r) => r is null ? null : Statistics.SampleStdDev(r);

    private static double? Correlation(Dictionary<DateOnly, double> a, Dictionary<DateOnly, double> b, DateOnly t, int days)
    {
        var xs = new double[days];
        var ys = new double[days];
        for (var i = 0; i < days; i++)
        {
            var d = t.AddDays(-i);
            if (!a.TryGetValue(d, out xs[i]) || !b.TryGetValue(d, out ys[i])) return null;
        }
        return Statistics.Pearson(xs, ys);
    }

}
