using Cortex1.Evaluation.Backtest;
using Cortex1.Evaluation.Forecasts;
using Cortex1.Evaluation.Scoring;
using Cortex1.Rewards;

namespace Cortex1.Evaluation;

/// <summary>
/// Everything measured on one answer: its reward, its forecasts (all stated, usable, and scored against what happened
/// — a forecast whose horizon runs past the stored data is not yet due), the baselines on the same forecasts, the
/// standard-grid baselines, and the backtest of its recommendations against buy-and-hold over the same days.
/// </summary>
public sealed record AnswerResult(
    EvalAnswer Answer,
    RewardBreakdown Reward,
    IReadOnlyList<Forecast> Stated,
    int Usable,
    IReadOnlyList<ScoredForecast> Model,
    IReadOnlyDictionary<string, IReadOnlyList<ScoredForecast>> Baselines,
    IReadOnlyDictionary<string, IReadOnlyList<ScoredForecast>> StandardBaselines,
    IReadOnlyList<Recommendation> Recommendations,
    TradeResult? Strategy,
    TradeResult? BuyAndHold)
{
    public string Id => Answer.Example.Id;
    public bool HasUsableForecast => Usable > 0;
}
