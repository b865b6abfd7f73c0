using Cortex1.Evaluation.Forecasts;
using Cortex1.Evaluation.Scoring;

namespace Cortex1.Data.Tracking;

/// <summary>
/// One model's track record: answers stored, forecasts made, scored and still pending, the metrics of the scored
/// ones (<see cref="ForecastMetrics"/>, as the eval reports them), persistence (no change from the close the forecast
/// was made at) scored on the same forecasts, and the next day a pending forecast falls due.
/// </summary>
public sealed record TrackRecord(string Model, int Answers, int Forecasts, int Scored, int Pending, ForecastMetrics Metrics,
    ForecastMetrics Persistence, DateOnly? NextDue)
{
    /// <summary>The record of every model with an answer stored, by model name.</summary>
    public static IReadOnlyList<TrackRecord> Of(IReadOnlyList<TrackedForecast> forecasts, IReadOnlyDictionary<string, int> answers) =>
        [.. answers.Keys.Order(StringComparer.Ordinal).Select(model =>
        {
            var mine = forecasts.Where(f => f.Model == model).ToList();
            var scored = mine.Where(f => f.Score is not null).ToList();
            var persistence = scored.Select(f => ScoredForecast.Of(
                new Forecast(f.Forecast.Asset, f.Forecast.HorizonDays, ForecastUnit.Price, f.LastClose, null, null, null, null, "persistence"),
                f.LastClose, f.Score!.Realised));
            var pending = mine.Where(f => f.Score is null).ToList();
            return new TrackRecord(model, answers[model], mine.Count, scored.Count, pending.Count,
                ForecastMetrics.Of(scored.Select(f => f.Score!)), ForecastMetrics.Of(persistence),
                pending.Count == 0 ? null : pending.Min(f => f.Due));
        })];
}
