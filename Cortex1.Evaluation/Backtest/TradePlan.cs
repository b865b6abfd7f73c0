namespace Cortex1.Evaluation.Backtest;

/// <summary>
/// The position an answer's recommendations add up to on one asset, entered at the window's last close: an exposure as
/// a fraction of capital (negative is short), exit levels as prices, and how many days it is held at most.
/// </summary>
public sealed record TradePlan(double Exposure, double? Stop, double? Target, int HorizonDays)
{
    /// <summary>Default size of a buy or short that states none, and default holding period.</summary>
    public const double DefaultSize = 0.10;
    public const int DefaultHorizonDays = 30;

    public static TradePlan BuyAndHold(int days) => new(1, null, null, days);

    /// <summary>
    /// Starting flat, the lines apply in order: opens and holds add their size, shorts subtract theirs, "reduce to x%"
    /// sets the exposure, "trim x% of the position" and hedges remove that share, exits go flat, waits do nothing. The
    /// first stop and target given on a line that takes a position are the exits; the horizon is the longest one stated
    /// on such a line.
    /// </summary>
    public static TradePlan From(IEnumerable<Recommendation> recommendations, string asset, double entry)
    {
        double e = 0;
        double? stop = null, target = null;
        int? horizon = null;
        foreach (var r in recommendations.Where(r => r.Asset == asset))
        {
            switch (r.Action)
            {
                case TradeAction.Open: e += r.Size ?? DefaultSize; break;
                case TradeAction.Hold: e += r.Size ?? 0; break;
                case TradeAction.Short: e -= r.Size ?? DefaultSize; break;
                case TradeAction.Exit: e = 0; break;
                case TradeAction.Hedge: e *= 1 - (r.Size ?? 0.5); break;
                case TradeAction.Reduce:
                    e = r.Size is not { } s ? 0
                        : r.Mode switch { SizeMode.SetTo => Math.Sign(e == 0 ? 1 : e) * s, SizeMode.ShareOfPosition => e * (1 - s), _ => e - s };
                    break;
                case TradeAction.Wait: continue;
            }
            if (r.Action is TradeAction.Wait or TradeAction.Exit) continue;
            bool isShort = r.Action == TradeAction.Short;
            stop ??= r.Stop ?? (r.StopPercent is { } sp ? entry * (1 + (isShort ? -sp : sp)) : null);
            target ??= r.Target ?? (r.TargetPercent is { } tp ? entry * (1 + (isShort ? -tp : tp)) : null);
            if (r.HorizonDays is { } h) horizon = Math.Max(horizon ?? 0, h);
        }
        return new TradePlan(Math.Clamp(e, -1, 1), stop, target, horizon ?? DefaultHorizonDays);
    }
}
