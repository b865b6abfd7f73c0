using Cortex1.Evaluation.Forecasts;

namespace Cortex1.Evaluation.Baselines;

/// <summary>
/// Forecasts computed from the prompt's own window, with no model, for the same asset and horizon as a forecast they
/// are compared with:
/// <list type="bullet">
/// <item><b>persistence</b>: the price does not change (point = last close); its direction is the window's last
/// <c>h</c>-day move continuing (the naive direction forecast: "the trend persists");</item>
/// <item><b>drift</b>: the window's mean daily simple return <c>μ</c> compounded over the horizon, <c>last · (1 + μ)^h</c>;</item>
/// <item><b>random walk</b>: the interval <c>last · exp(±z · σ · √h)</c>, σ the sample standard deviation of the window's
/// daily log returns and z the normal quantile of the level: no drift, volatility scaled by √h.</item>
/// </list>
/// </summary>
public static class Baselines
{
    public const string Persistence = "persistence";
    public const string Drift = "drift";
    public const string RandomWalk = "random_walk";

    public static Forecast PersistenceOf(IReadOnlyList<double> window, string asset, int days)
    {
        double last = window[^1];
        double before = window[Math.Max(0, window.Count - 1 - days)];
        Direction? trend = last > before ? Direction.Up : last < before ? Direction.Down : null;
        return new Forecast(asset, days, ForecastUnit.Price, last, null, null, null, trend, Persistence);
    }

    public static Forecast DriftOf(IReadOnlyList<double> window, string asset, int days)
    {
        double mu = MeanDailyReturn(window);
        return new Forecast(asset, days, ForecastUnit.Price, window[^1] * Math.Pow(1 + mu, days), null, null, null, null, Drift);
    }

    public static Forecast RandomWalkOf(IReadOnlyList<double> window, string asset, int days, double level)
    {
        double half = NormalQuantile.Central(level) * DailyLogVolatility(window) * Math.Sqrt(days);
        double last = window[^1];
        return new Forecast(asset, days, ForecastUnit.Price, null, last * Math.Exp(-half), last * Math.Exp(half), level, null, RandomWalk);
    }

    public static double MeanDailyReturn(IReadOnlyList<double> closes)
    {
        if (closes.Count < 2) return 0;
        double sum = 0;
        for (int i = 1; i < closes.Count; i++) sum += closes[i] / closes[i - 1] - 1;
        return sum / (closes.Count - 1);
    }

    public static double DailyLogVolatility(IReadOnlyList<double> closes)
    {
        var logs = new double[Math.Max(0, closes.Count - 1)];
        for (int i = 1; i < closes.Count; i++) logs[i - 1] = Math.Log(closes[i] / closes[i - 1]);
        return Cortex1.Domain.Statistics.SampleStdDev(logs) ?? 0;
    }
}
