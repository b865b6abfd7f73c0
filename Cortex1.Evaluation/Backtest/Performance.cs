namespace Cortex1.Evaluation.Backtest;

/// <summary>Return statistics of equity paths and daily returns.</summary>
public static class Performance
{
    /// <summary>Crypto trades every calendar day, so daily figures annualise with √365, not √252.</summary>
    public const double DaysPerYear = 365;

    /// <summary>The largest fall from a running peak, as a fraction of the peak (0.25 = a 25 % drawdown).</summary>
    public static double MaxDrawdown(IReadOnlyList<double> equity)
    {
        double peak = double.MinValue, worst = 0;
        foreach (var v in equity)
        {
            peak = Math.Max(peak, v);
            worst = Math.Max(worst, (peak - v) / peak);
        }
        return worst;
    }

    /// <summary>
    /// Annualised Sharpe ratio of daily returns with a zero risk-free rate: mean / sample standard deviation × √365.
    /// NaN when the returns do not vary (a strategy that never trades has no Sharpe ratio).
    /// </summary>
    public static double Sharpe(IReadOnlyList<double> daily)
    {
        if (daily.Count < 2) return double.NaN;
        var sd = Cortex1.Domain.Statistics.SampleStdDev([.. daily]) ?? 0;
        return sd < 1e-15 ? double.NaN : daily.Average() / sd * Math.Sqrt(DaysPerYear);
    }

    /// <summary>The mean path of several equity curves, day by day; a shorter one stays at its last value.</summary>
    public static IReadOnlyList<double> MeanPath(IReadOnlyList<IReadOnlyList<double>> paths)
    {
        if (paths.Count == 0) return [];
        int days = paths.Max(p => p.Count);
        return [.. Enumerable.Range(0, days).Select(t => paths.Average(p => p[Math.Min(t, p.Count - 1)]))];
    }
}
