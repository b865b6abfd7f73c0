using Cortex1.Domain;
using Cortex1.Evaluation.Backtest;
using Cortex1.Evaluation.Forecasts;
using Cortex1.Evaluation.Scoring;
using Cortex1.Rewards;
using B = Cortex1.Evaluation.Baselines.Baselines;

namespace Cortex1.Evaluation;

/// <summary>
/// Scores answers to a split's prompts: the composite reward on the prompt's market window; every stated forecast
/// against the realised close <c>h</c> days after the window's last day; the baselines, computed from the same window,
/// on the same (asset, horizon, level) as each forecast and on the standard grid; and the recommendations traded on the
/// realised closes after the window against buy-and-hold over the same days. Pure: the realised prices come in.
/// </summary>
public sealed class Evaluator(RewardSystem rewards, EvalSettings? settings = null)
{
    public EvalSettings Settings { get; } = settings ?? new EvalSettings();

    public AnswerResult Score(EvalAnswer a, PriceHistory realised)
    {
        var ex = a.Example;
        var reward = rewards.Score(a.Answer, new RewardContext(ex.Market, ex.Kind));
        var chains = ex.Market.Series.Select(s => s.Chain).ToList();
        var (stated, usable) = UsableForecasts.Of(ex, a.Answer);

        var model = new List<ScoredForecast>();
        var baselines = new Dictionary<string, List<ScoredForecast>> { [B.Persistence] = [], [B.Drift] = [], [B.RandomWalk] = [] };
        foreach (var u in usable)
        {
            var f = u.Forecast;
            if (realised.Close(f.Asset, u.Due) is not { } y) continue;   // not due yet within the stored data
            model.Add(ScoredForecast.Of(f, u.LastClose, y));
            AddBaselines(baselines, u.Window, f.Asset, f.HorizonDays, f.Level, y);
        }

        var standard = new Dictionary<string, List<ScoredForecast>> { [B.Persistence] = [], [B.Drift] = [], [B.RandomWalk] = [] };
        if (Closes(ex, ex.Chain) is { } focus)
            foreach (var h in Settings.Horizons)
                if (realised.Close(ex.Chain, ex.WindowEnd.AddDays(h)) is { } y)
                    AddBaselines(standard, focus, ex.Chain, h, Settings.StandardLevel, y);

        var recommendations = RecommendationParser.Parse(a.Answer, ex.Chain, chains);
        TradeResult? strategy = null, hold = null;
        if (Closes(ex, ex.Chain) is { } w)
        {
            var plan = TradePlan.From(recommendations, ex.Chain, w[^1]);
            var path = realised.Path(ex.Chain, ex.WindowEnd, plan.HorizonDays);
            if (path.Count >= 2)
            {
                strategy = Backtester.Run(plan, path, Settings.CostBps);
                hold = Backtester.Run(TradePlan.BuyAndHold(plan.HorizonDays), path, Settings.CostBps);
            }
        }
        return new AnswerResult(a, reward, stated, usable.Count, model,
            baselines.ToDictionary(k => k.Key, k => (IReadOnlyList<ScoredForecast>)k.Value),
            standard.ToDictionary(k => k.Key, k => (IReadOnlyList<ScoredForecast>)k.Value),
            recommendations, strategy, hold);
    }

    public EvalSummary Summarise(IReadOnlyList<AnswerResult> results)
    {
        var components = RewardComponents.All.ToDictionary(c => c,
            c => results.Count == 0 ? double.NaN : results.Average(r => r.Reward.Components[c].Score));
        ForecastMetrics Pool(Func<AnswerResult, IEnumerable<ScoredForecast>> pick) => ForecastMetrics.Of(results.SelectMany(pick));
        var names = new[] { B.Persistence, B.Drift, B.RandomWalk };
        return new EvalSummary(
            results.Count,
            results.Count == 0 ? double.NaN : results.Average(r => r.Reward.Total),
            components,
            results.Sum(r => r.Usable),
            results.Sum(r => r.Model.Count),
            results.Count == 0 ? double.NaN : (double)results.Count(r => !r.HasUsableForecast) / results.Count,
            Pool(r => r.Model),
            names.ToDictionary(n => n, n => Pool(r => r.Baselines[n])),
            names.ToDictionary(n => n, n => Pool(r => r.StandardBaselines[n])),
            BacktestSummary.Of([.. results.Where(r => r.Strategy is not null).Select(r => r.Strategy!)]),
            BacktestSummary.Of([.. results.Where(r => r.BuyAndHold is not null).Select(r => r.BuyAndHold!)]),
            Settings.CostBps);
    }

    /// <summary>Persistence and drift for the horizon; the random-walk interval only where there is a level to match.</summary>
    private static void AddBaselines(Dictionary<string, List<ScoredForecast>> into, IReadOnlyList<double> window, string asset, int h, double? level, double y)
    {
        double last = window[^1];
        into[B.Persistence].Add(ScoredForecast.Of(B.PersistenceOf(window, asset, h), last, y));
        into[B.Drift].Add(ScoredForecast.Of(B.DriftOf(window, asset, h), last, y));
        if (level is { } l) into[B.RandomWalk].Add(ScoredForecast.Of(B.RandomWalkOf(window, asset, h, l), last, y));
    }

    private static IReadOnlyList<double>? Closes(TrainingExample ex, string chain) => UsableForecasts.Closes(ex, chain);
}
