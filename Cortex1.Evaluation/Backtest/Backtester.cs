namespace Cortex1.Evaluation.Backtest;

/// <summary>Why a trade ended.</summary>
public enum ExitReason
{
    Flat,
    Horizon,
    Stop,
    Target,
}

/// <summary>
/// One simulated trade: the equity path (1 at entry, one value per day after), the daily returns that made it, the
/// total return, the maximum drawdown, and when and why it ended.
/// </summary>
public sealed record TradeResult(TradePlan Plan, IReadOnlyList<double> Equity, IReadOnlyList<double> DailyReturns, int ExitDay, ExitReason Reason)
{
    public double TotalReturn => Equity[^1] - 1;
    public double MaxDrawdown => Performance.MaxDrawdown(Equity);
}

/// <summary>
/// Simulates a plan on realised daily closes: enter at <c>closes[0]</c> (the window's last close), mark to market each
/// day with <c>exposure × (close_t / close_{t−1} − 1)</c>, and exit at the first close at or beyond the stop or the target
/// (daily closes only: intraday touches are not seen) or at the horizon. Each entry and exit costs
/// <c>costBps / 10,000</c> of the notional traded. After an exit the capital stays in cash (return 0) to the horizon.
/// </summary>
public static class Backtester
{
    public static TradeResult Run(TradePlan plan, IReadOnlyList<double> closes, double costBps)
    {
        if (closes.Count < 2) throw new ArgumentException("A backtest needs the entry close and at least one close after it.", nameof(closes));
        double cost = costBps / 10_000;
        int days = Math.Min(plan.HorizonDays, closes.Count - 1);
        var equity = new List<double>(days + 1) { 1.0 };
        var daily = new List<double>(days);
        double e = plan.Exposure, value = 1;
        bool open = e != 0;
        int exitDay = 0;
        var reason = open ? ExitReason.Horizon : ExitReason.Flat;
        for (int t = 1; t <= days; t++)
        {
            double before = value;
            if (open)
            {
                if (t == 1) value *= 1 - Math.Abs(e) * cost;
                value *= 1 + e * (closes[t] / closes[t - 1] - 1);
                var hit = Hit(plan, e, closes[t]);
                if (hit is not null || t == days)
                {
                    value *= 1 - Math.Abs(e) * cost;
                    open = false;
                    exitDay = t;
                    reason = hit ?? ExitReason.Horizon;
                }
            }
            equity.Add(value);
            daily.Add(value / before - 1);
        }
        return new TradeResult(plan, equity, daily, exitDay, reason);
    }

    private static ExitReason? Hit(TradePlan plan, double e, double close)
    {
        bool isLong = e > 0;
        if (plan.Stop is { } s && (isLong ? close <= s : close >= s)) return ExitReason.Stop;
        if (plan.Target is { } g && (isLong ? close >= g : close <= g)) return ExitReason.Target;
        return null;
    }
}
