using Cortex1.Evaluation.Forecasts;

namespace Cortex1.Evaluation.Scoring;

/// <summary>
/// A forecast against what happened, in price terms (a return forecast is turned into prices from the window's last
/// close). <see cref="Hit"/> is null without a direction, <see cref="Ape"/> without a point, the interval fields without
/// an interval. Widths and Winkler scores are fractions of the last close, so assets of any price level average together.
/// </summary>
public sealed record ScoredForecast(
    Forecast Forecast,
    double LastClose,
    double Realised,
    double? PointPrice,
    Direction? Predicted,
    bool? Hit,
    double? Ape,
    bool? Covered,
    double? Width,
    double? Winkler)
{
    /// <summary>Scores <paramref name="f"/> given the close it was made at and the close <c>HorizonDays</c> later.</summary>
    public static ScoredForecast Of(Forecast f, double last, double realised)
    {
        double Price(double v) => f.Unit == ForecastUnit.Price ? v : last * (1 + v);
        double? point = f.Point is { } p ? Price(p) : null;
        var predicted = f.Stated ?? (point > last ? Direction.Up : point < last ? Direction.Down : null);
        bool? hit = predicted is null ? null : predicted == Direction.Up ? realised > last : realised < last;
        double? ape = point is { } pp ? Math.Abs(pp - realised) / realised : null;
        bool? covered = null;
        double? width = null, winkler = null;
        if (f.HasInterval)
        {
            double lo = Price(f.Lower!.Value), hi = Price(f.Upper!.Value);
            covered = realised >= lo && realised <= hi;
            width = (hi - lo) / last;
            winkler = Interval.Winkler(lo, hi, f.Level!.Value, realised) / last;
        }
        return new ScoredForecast(f, last, realised, point, predicted, hit, ape, covered, width, winkler);
    }

    /// <summary>
    /// Whether the forecast is about this asset's price at all: prices within a factor of 5 of the last close, returns
    /// above −100 %. A "$1.2B" volume figure in a forecast sentence is not a price forecast.
    /// </summary>
    public static bool Usable(Forecast f, double last)
    {
        bool Ok(double? v) => v is null || (f.Unit == ForecastUnit.Price ? v > last / 5 && v < last * 5 : v > -1 && v < 5);
        if (!Ok(f.Point) || !Ok(f.Lower) || !Ok(f.Upper)) return false;
        if (f.HasInterval && !(f.Lower < f.Upper && f.Level is > 0 and < 1)) return false;
        return f.Point is not null || f.HasInterval || f.Stated is not null;
    }
}

public static class Interval
{
    /// <summary>
    /// The interval (Winkler) score of a central interval at <paramref name="level"/>: its width, plus 2/α times how far
    /// the outcome fell outside it (α = 1 − level). Lower is better; a narrow interval that misses pays for the miss.
    /// </summary>
    public static double Winkler(double lower, double upper, double level, double y)
    {
        double alpha = 1 - level;
        double score = upper - lower;
        if (y < lower) score += 2 / alpha * (lower - y);
        if (y > upper) score += 2 / alpha * (y - upper);
        return score;
    }
}
