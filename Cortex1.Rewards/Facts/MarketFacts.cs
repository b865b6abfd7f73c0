using System.Runtime.CompilerServices;
using Cortex1.Domain;

namespace Cortex1.Rewards.Facts;

/// <summary>
/// Every number a correct analysis could state about a <see cref="MarketContext"/>: the raw values
/// and what the rewards derive from them (growth, differences, averages, extremes, realised
/// volatility, correlations, cross-chain ratios). Built once per context instance and cached, so a
/// GRPO group of completions for one prompt pays for it once.
/// </summary>
internal sealed class MarketFacts
{
    private static readonly ConditionalWeakTable<MarketContext, MarketFacts> Cache = new();
    private static readonly int[] Horizons = [1, 7, 14, 30];

    /// <summary>Raw and derived values, sorted.</summary>
    private readonly double[] _all;
    /// <summary>Per metric name: its values on every day of every chain, sorted.</summary>
    private readonly Dictionary<string, double[]> _byMetric;
    /// <summary>Per day: every metric value of that day and the 1-day changes ending on it, sorted.</summary>
    private readonly Dictionary<DateOnly, double[]> _byDay;
    /// <summary>Last-day values of every chain, sorted: the scale a forecast should be on.</summary>
    private readonly double[] _latest;

    public IReadOnlySet<string> MetricNames { get; }
    public int SeriesCount { get; }

    public static MarketFacts For(MarketContext context) => Cache.GetValue(context, static c => new MarketFacts(c));

    private MarketFacts(MarketContext context)
    {
        var all = new List<double>(4096);
        var byMetric = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var byDay = new Dictionary<DateOnly, List<double>>();
        var latest = new List<double>();
        var returns = new List<(string Chain, DateOnly[] Days, double[] R)>();
        SeriesCount = context.Series.Count;

        foreach (var series in context.Series)
        {
            if (series.Days.Count == 0) continue;
            foreach (var day in series.Days)
            {
                var list = GetList(byDay, day.Day);
                foreach (var (name, v) in day.Metrics)
                {
                    GetList(byMetric, name).Add(v);
                    list.Add(v);
                    all.Add(v);
                }
            }
            foreach (var (_, v) in series.Last.Metrics) latest.Add(v);

            foreach (var metric in RawMetrics(series))
            {
                var (days, x) = Column(series, metric);
                if (x.Length < 2) continue;
                AddWindowFacts(all, x);
                for (int t = 1; t < x.Length; t++)
                    if (x[t - 1] != 0) GetList(byDay, days[t]).Add(x[t] / x[t - 1] - 1);
                if (metric == Domain.MetricNames.CloseUsd)
                {
                    var r = LogReturns(x);
                    AddVolatility(all, r);
                    returns.Add((series.Chain, days, r));
                }
            }
        }
        AddCrossChainFacts(all, context, returns);

        _all = Sorted(all);
        _byMetric = byMetric.ToDictionary(kv => kv.Key, kv => Sorted(kv.Value), StringComparer.Ordinal);
        _byDay = byDay.ToDictionary(kv => kv.Key, kv => Sorted(kv.Value));
        _latest = Sorted(latest);
        MetricNames = _byMetric.Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>True when some raw or derived value rounds to the claimed number.</summary>
    public bool Derivable(double value, double tolerance) => Contains(_all, value, tolerance);

    /// <summary>True when the metric has a value (on any day, any chain) that rounds to the claim.</summary>
    public bool MetricHas(string metric, double value, double tolerance) =>
        _byMetric.TryGetValue(metric, out var values) && Contains(values, value, tolerance);

    public bool HasDay(DateOnly day) => _byDay.ContainsKey(day);

    /// <summary>True when a value of that day (or the 1-day change ending on it) rounds to the claim.</summary>
    public bool DayHas(DateOnly day, double value, double tolerance) =>
        _byDay.TryGetValue(day, out var values) && Contains(values, value, tolerance);

    /// <summary>True when the value is within a factor of <paramref name="factor"/> of some last-day value.</summary>
    public bool OnLatestScale(double value, double factor)
    {
        if (value <= 0) return false;
        int i = LowerBound(_latest, value / factor);
        return i < _latest.Length && _latest[i] <= value * factor;
    }

    private static bool Contains(double[] sorted, double value, double tolerance)
    {
        int i = LowerBound(sorted, value - tolerance);
        return i < sorted.Length && sorted[i] <= value + tolerance;
    }

    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static List<double> GetList<TKey>(Dictionary<TKey, List<double>> map, TKey key) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        return list;
    }

    private static double[] Sorted(List<double> values)
    {
        var a = values.Where(double.IsFinite).ToArray();
        Array.Sort(a);
        return a;
    }

    /// <summary>Metrics as measured; derived ones (growth, volatility, correlation) are recomputed, not re-derived from.</summary>
    private static IEnumerable<string> RawMetrics(MarketSeries series) =>
        series.Last.Metrics.Keys.Where(m => !m.Contains("growth", StringComparison.Ordinal)
            && !m.StartsWith("volatility", StringComparison.Ordinal) && !m.StartsWith("correlation", StringComparison.Ordinal));

    private static (DateOnly[] Days, double[] Values) Column(MarketSeries series, string metric)
    {
        var days = new List<DateOnly>(series.Days.Count);
        var values = new List<double>(series.Days.Count);
        foreach (var d in series.Days)
            if (d.Metrics.TryGetValue(metric, out var v)) { days.Add(d.Day); values.Add(v); }
        return (days.ToArray(), values.ToArray());
    }

    /// <summary>Growth and differences over the usual horizons and the whole window, every 7-day change, averages, extremes.</summary>
    private static void AddWindowFacts(List<double> facts, double[] x)
    {
        int n = x.Length, last = n - 1;
        foreach (var k in Horizons.Append(last))
        {
            if (k > last || k <= 0) continue;
            facts.Add(x[last] - x[last - k]);
            if (x[last - k] != 0) facts.Add(x[last] / x[last - k] - 1);
        }
        for (int t = 7; t < n; t++)
            if (x[t - 7] != 0) facts.Add(x[t] / x[t - 7] - 1);
        foreach (var k in (int[])[7, 14, 30, n])
        {
            if (k > n) continue;
            double sum = 0, min = double.MaxValue, max = double.MinValue;
            for (int t = n - k; t < n; t++) { sum += x[t]; min = Math.Min(min, x[t]); max = Math.Max(max, x[t]); }
            double mean = sum / k;
            facts.Add(mean); facts.Add(min); facts.Add(max);
            if (max != 0) facts.Add(x[last] / max - 1);
            if (min != 0) facts.Add(x[last] / min - 1);
            if (mean != 0) { facts.Add(x[last] / mean - 1); facts.Add(x[last] / mean); }
            facts.Add(max - min);
            if (min != 0) facts.Add(max / min - 1);
        }
    }

    private static double[] LogReturns(double[] x)
    {
        var r = new double[x.Length - 1];
        for (int t = 1; t < x.Length; t++) r[t - 1] = x[t] > 0 && x[t - 1] > 0 ? Math.Log(x[t] / x[t - 1]) : 0;
        return r;
    }

    /// <summary>Realised volatility (sample and population std of log returns), daily and annualised (√365), and mean returns.</summary>
    private static void AddVolatility(List<double> facts, double[] r)
    {
        foreach (var k in (int[])[7, 14, 30, r.Length])
        {
            if (k > r.Length || k < 2) continue;
            var w = r.AsSpan(r.Length - k, k);
            double mean = 0;
            foreach (var v in w) mean += v;
            mean /= k;
            double ss = 0;
            foreach (var v in w) ss += (v - mean) * (v - mean);
            double sample = Math.Sqrt(ss / (k - 1)), population = Math.Sqrt(ss / k);
            facts.Add(mean);
            facts.Add(sample); facts.Add(population);
            facts.Add(sample * Math.Sqrt(365)); facts.Add(population * Math.Sqrt(365));
        }
    }

    /// <summary>Pearson correlations of daily log returns (window and last 30 days) and last-day ratios between chains.</summary>
    private static void AddCrossChainFacts(List<double> facts, MarketContext context, List<(string Chain, DateOnly[] Days, double[] R)> returns)
    {
        for (int a = 0; a < returns.Count; a++)
            for (int b = a + 1; b < returns.Count; b++)
            {
                var (x, y) = Aligned(returns[a], returns[b]);
                facts.Add(Pearson(x, y));
                if (x.Length > 30) facts.Add(Pearson(x[^30..], y[^30..]));
            }
        var series = context.Series.Where(s => s.Days.Count > 0).ToArray();
        foreach (var s in series)
        {
            var m = s.Last.Metrics;
            if (m.TryGetValue(Domain.MetricNames.VolumeUsd, out var vol) && m.TryGetValue(Domain.MetricNames.MarketCapUsd, out var cap) && cap != 0)
                facts.Add(vol / cap);
            if (m.TryGetValue(Domain.MetricNames.HighUsd, out var hi) && m.TryGetValue(Domain.MetricNames.LowUsd, out var lo) && lo != 0)
                facts.Add(hi / lo - 1);
            foreach (var t in series)
            {
                if (ReferenceEquals(s, t)) continue;
                foreach (var (name, v) in m)
                    if (t.Last.Metrics.TryGetValue(name, out var w) && w != 0 && !name.Contains("growth", StringComparison.Ordinal))
                        facts.Add(v / w);
            }
        }
    }

    private static (double[] X, double[] Y) Aligned((string, DateOnly[] Days, double[] R) a, (string, DateOnly[] Days, double[] R) b)
    {
        // Returns are indexed by their closing day: Days[t + 1].
        var index = new Dictionary<DateOnly, int>(b.Days.Length);
        for (int t = 1; t < b.Days.Length; t++) index[b.Days[t]] = t - 1;
        var x = new List<double>(a.R.Length);
        var y = new List<double>(a.R.Length);
        for (int t = 1; t < a.Days.Length; t++)
            if (index.TryGetValue(a.Days[t], out var j)) { x.Add(a.R[t - 1]); y.Add(b.R[j]); }
        return (x.ToArray(), y.ToArray());
    }

    private static double Pearson(double[] x, double[] y) => x.Length < 3 ? double.NaN : Statistics.Pearson(x, y) ?? double.NaN;
}
