using Cortex1.Domain;
using Cortex1.Evaluation.Scoring;

namespace Cortex1.Evaluation.Forecasts;

/// <summary>
/// A stated forecast that can be scored: its asset has a window in the prompt (<see cref="Window"/>, the closes the
/// model saw), it passes <see cref="ScoredForecast.Usable"/> against the last of them, and it falls due on
/// <see cref="Due"/>, <c>HorizonDays</c> after the asset's window ends.
/// </summary>
public sealed record UsableForecast(Forecast Forecast, IReadOnlyList<double> Window, DateOnly MadeOn)
{
    public double LastClose => Window[^1];
    public DateOnly Due => MadeOn.AddDays(Forecast.HorizonDays);
}

/// <summary>What an answer to one prompt forecasts: every statement, and those that can be scored. The eval and the live track read answers the same way.</summary>
public static class UsableForecasts
{
    public static (IReadOnlyList<Forecast> Stated, IReadOnlyList<UsableForecast> Usable) Of(TrainingExample ex, string answer)
    {
        var chains = ex.Market.Series.Select(s => s.Chain).ToList();
        var stated = ForecastExtractor.Extract(answer, ex.Chain, chains);
        var usable = new List<UsableForecast>();
        foreach (var f in stated)
            if (Closes(ex, f.Asset) is { } window && ScoredForecast.Usable(f, window[^1]))
                usable.Add(new UsableForecast(f, window, ex.Market.Find(f.Asset)!.End));
        return (stated, usable);
    }

    /// <summary>The prompt window's closes of <paramref name="chain"/> (what the model saw), or null when it has fewer than two.</summary>
    public static IReadOnlyList<double>? Closes(TrainingExample ex, string chain)
    {
        var closes = ex.Market.Find(chain)?.Days.Select(d => d.Get(MetricNames.CloseUsd)).Where(c => c is > 0).Select(c => c!.Value).ToList();
        return closes is { Count: >= 2 } ? closes : null;
    }
}
