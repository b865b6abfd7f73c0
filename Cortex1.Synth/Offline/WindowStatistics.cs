using Cortex1.Domain;

namespace Cortex1.Synth.Offline;

/// <summary>A bootstrap interval of a compounded return: lower/point/upper as fractions (0.05 = +5 %).</summary>
public sealed record ReturnInterval(int Days, double Level, double Lower, double Point, double Upper);

/// <summary>
/// Statistics of one chain over a window, computed from the stored days only: closes, growth,
/// averages, realised volatility of daily log returns, and bootstrap intervals of future returns.
/// </summary>
public sealed class WindowStatistics
{
    public const int BootstrapSamples = 2000;

    public MarketSeries Series { get; }
    public IReadOnlyList<double> Closes { get; }
    public IReadOnlyList<double> LogReturns { get; }

    public WindowStatistics(MarketSeries series)
    {
        Series = series;
        Closes = [.. series.Days.Select(d => d.Get(MetricNames.CloseUsd)
            ?? throw new InvalidOperationException($"{series.Chain} {d.Day}: no {MetricNames.CloseUsd}; the offline analyst needs daily closes."))];
        if (Closes.Count < 8) throw new InvalidOperationException($"{series.Chain}: a window needs at least 8 days, got {Closes.Count}.");
        LogReturns = [.. Closes.Skip(1).Zip(Closes, (today, yesterday) => Math.Log(today / yesterday))];
    }

    public string Chain => Series.Chain;
    public MarketDay First => Series.Days[0];
    public MarketDay Last => Series.Last;
    public double LastClose => Closes[^1];
    public double FirstClose => Closes[0];

    /// <summary>The day <paramref name="daysBack"/> before the last one.</summary>
    public MarketDay DaysBack(int daysBack) => Series.Days[^(daysBack + 1)];
    public double CloseDaysBack(int daysBack) => Closes[^(daysBack + 1)];

    public double Growth(int days) => (LastClose - CloseDaysBack(days)) / CloseDaysBack(days);
    public double WindowGrowth => (LastClose - FirstClose) / FirstClose;
    public IReadOnlyList<double> LastCloses(int days) => [.. Closes.Skip(Closes.Count - days)];
    public double Average(int days) => LastCloses(days).Average();

    public MarketDay HighestClose => Series.Days[IndexOfMax(Closes)];
    public MarketDay LowestClose => Series.Days[IndexOfMax([.. Closes.Select(c => -c)])];

    /// <summary>Sample standard deviation of daily log returns over the window (per day).</summary>
    public double DailyVolatility => StdDev(LogReturns);

    public double? Metric(string name) => Last.Get(name);

    /// <summary>
    /// Bootstrap of daily log returns (resampled with replacement, fixed seed): the central
    /// <paramref name="level"/> interval of the compounded return over <paramref name="days"/>.
    /// </summary>
    public ReturnInterval Bootstrap(int days, double level, int seed)
    {
        var random = new Random(seed);
        var sums = new double[BootstrapSamples];
        for (var b = 0; b < sums.Length; b++)
        {
            double s = 0;
            for (var i = 0; i < days; i++) s += LogReturns[random.Next(LogReturns.Count)];
            sums[b] = s;
        }
        Array.Sort(sums);
        var tail = (1 - level) / 2;
        double Quantile(double q) => Math.Exp(sums[(int)Math.Clamp(Math.Round(q * (sums.Length - 1)), 0, sums.Length - 1)]) - 1;
        return new ReturnInterval(days, level, Quantile(tail), Quantile(0.5), Quantile(1 - tail));
    }

    /// <summary>Pearson correlation of daily log returns with another chain over the days both have.</summary>
    public double? CorrelationWith(WindowStatistics other)
    {
        var mine = Series.Days.Skip(1).Select(d => d.Day).Zip(LogReturns).ToDictionary(p => p.First, p => p.Second);
        var pairs = other.Series.Days.Skip(1).Select(d => d.Day).Zip(other.LogReturns)
            .Where(p => mine.ContainsKey(p.First)).Select(p => (X: mine[p.First], Y: p.Second)).ToList();
        return pairs.Count < 5 ? null : Statistics.Pearson([.. pairs.Select(p => p.X)], [.. pairs.Select(p => p.Y)]);
    }

    public static double StdDev(IReadOnlyList<double> xs) => Statistics.SampleStdDev([.. xs]) ?? 0;

    private static int IndexOfMax(IReadOnlyList<double> xs)
    {
        var best = 0;
        for (var i = 1; i < xs.Count; i++) if (xs[i] > xs[best]) best = i;
        return best;
    }
}
