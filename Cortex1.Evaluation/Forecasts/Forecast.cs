namespace Cortex1.Evaluation.Forecasts;

/// <summary>What a forecast's numbers are: prices in USD, or returns as fractions (0.05 = +5 %).</summary>
public enum ForecastUnit
{
    Price,
    Return,
}

/// <summary>Which way a forecast says the price goes.</summary>
public enum Direction
{
    Up,
    Down,
}

/// <summary>
/// One forecast stated in an answer: the asset (a chain key such as <c>ethereum</c>), the horizon in days, and any of a
/// point estimate, an interval with its level (0.90 for a 90 % interval) and a stated direction. Values are in
/// <see cref="Unit"/>: a price forecast's numbers are USD, a return forecast's are fractions.
/// </summary>
public sealed record Forecast(
    string Asset,
    int HorizonDays,
    ForecastUnit Unit,
    double? Point,
    double? Lower,
    double? Upper,
    double? Level,
    Direction? Stated,
    string Text)
{
    public bool HasInterval => Lower is not null && Upper is not null && Level is not null;
}
