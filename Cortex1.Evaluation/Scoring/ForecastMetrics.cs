namespace Cortex1.Evaluation.Scoring;

/// <summary>Coverage of the intervals stated at one level: how many, how many held the outcome, mean width and Winkler score.</summary>
public sealed record LevelCoverage(double Level, int Count, int Covered, double MeanWidth, double MeanWinkler)
{
    public double Coverage => Count == 0 ? double.NaN : (double)Covered / Count;
}

/// <summary>Error of the point forecasts made at one horizon.</summary>
public sealed record HorizonError(int Days, int Count, double Mape, int Directions, int Hits)
{
    public double HitRate => Directions == 0 ? double.NaN : (double)Hits / Directions;
}

/// <summary>
/// What a set of scored forecasts adds up to: direction hit rate, MAPE (mean absolute percentage error, as a fraction),
/// interval coverage per stated level, and the same per horizon. Metrics with nothing to average are NaN.
/// </summary>
public sealed record ForecastMetrics(
    int Count, int Directions, int Hits, int Points, double Mape,
    IReadOnlyList<LevelCoverage> Levels, IReadOnlyList<HorizonError> Horizons)
{
    public double HitRate => Directions == 0 ? double.NaN : (double)Hits / Directions;

    /// <summary>Coverage of the intervals stated at <paramref name="level"/> (levels within half a percent count as one).</summary>
    public double CoverageAt(double level) => Levels.FirstOrDefault(l => Math.Abs(l.Level - level) < 0.005)?.Coverage ?? double.NaN;

    public static ForecastMetrics Of(IEnumerable<ScoredForecast> scored)
    {
        var all = scored.ToList();
        var directions = all.Where(s => s.Hit is not null).ToList();
        var points = all.Where(s => s.Ape is not null).ToList();
        var levels = all.Where(s => s.Covered is not null)
            .GroupBy(s => Math.Round(s.Forecast.Level!.Value, 2))
            .OrderBy(g => g.Key)
            .Select(g => new LevelCoverage(g.Key, g.Count(), g.Count(s => s.Covered == true), g.Average(s => s.Width!.Value), g.Average(s => s.Winkler!.Value)))
            .ToList();
        var horizons = all.GroupBy(s => s.Forecast.HorizonDays).OrderBy(g => g.Key)
            .Select(g => new HorizonError(g.Key, g.Count(s => s.Ape is not null),
                g.Any(s => s.Ape is not null) ? g.Where(s => s.Ape is not null).Average(s => s.Ape!.Value) : double.NaN,
                g.Count(s => s.Hit is not null), g.Count(s => s.Hit == true)))
            .ToList();
        return new ForecastMetrics(all.Count, directions.Count, directions.Count(s => s.Hit == true), points.Count,
            points.Count == 0 ? double.NaN : points.Average(s => s.Ape!.Value), levels, horizons);
    }
}
