namespace Cortex1.Evaluation.Backtest;

/// <summary>What a recommendation does to the position.</summary>
public enum TradeAction
{
    /// <summary>Buy, accumulate, enter, long, increase, add, allocate.</summary>
    Open,
    /// <summary>Hold, maintain, keep: owns the stated size.</summary>
    Hold,
    /// <summary>Reduce, trim, decrease, sell, take profit.</summary>
    Reduce,
    /// <summary>Exit, close, liquidate: to flat.</summary>
    Exit,
    Short,
    /// <summary>Hedge a share of the position (modelled as removing that share of the exposure).</summary>
    Hedge,
    /// <summary>Wait, avoid, stay out: nothing now (conditional entries are not simulated).</summary>
    Wait,
}

/// <summary>How a size applies: added to the exposure, the exposure set to it ("reduce to 3%"), or a share of the position ("trim 20% of the position").</summary>
public enum SizeMode
{
    Add,
    SetTo,
    ShareOfPosition,
}

/// <summary>
/// One recommendation line: the action on an asset, a size as a fraction (0.05 = 5 % of the portfolio), a stop and a
/// target as prices (a percent stop or target is kept as a signed fraction of the entry in the <c>…Percent</c> fields),
/// and a horizon in days.
/// </summary>
public sealed record Recommendation(
    string Asset,
    TradeAction Action,
    double? Size,
    SizeMode Mode,
    double? Stop,
    double? StopPercent,
    double? Target,
    double? TargetPercent,
    int? HorizonDays,
    string Text);
