using Cortex1.Domain;
using Cortex1.Evaluation.Backtest;
using Cortex1.Evaluation.Scoring;
using Cortex1.Rewards;
using B = Cortex1.Evaluation.Baselines.Baselines;

namespace Cortex1.Evaluation.Tests;

public class EvaluatorTests
{
    private static readonly DateOnly End = new(2021, 3, 10);

    // The prompt window: ten days closing 100, 101, …, 109 on 2021-03-10. Afterwards the price keeps rising by 1 a day.
    private static MarketSeries Window() => new("ethereum", [.. Enumerable.Range(0, 10).Select(i => Day(End.AddDays(i - 9), 100 + i))]);
    private static MarketSeries After() => new("ethereum", [.. Enumerable.Range(1, 30).Select(t => Day(End.AddDays(t), 109 + t))]);
    private static MarketDay Day(DateOnly d, double close) => new("ethereum", d, new Dictionary<string, double> { [MetricNames.CloseUsd] = close }, "test");

    private static EvalAnswer Answer(string id, string text)
    {
        var w = Window();
        var example = new TrainingExample(id, TaskKind.MarketAnalysis, MarketCondition.Bull, "ethereum", w.Start, w.End, "teacher", "prompt", "", "",
            new MarketContext([w]), new ExampleReward(0, 1, null, new Dictionary<string, double>()), new Dictionary<string, string>());
        return new EvalAnswer(example, text);
    }

    [Fact]
    public void Scores_forecasts_baselines_and_trades_against_what_happened()
    {
        var answers = new[]
        {
            Answer("a", """
                ## Forecast
                - 7-day price: 90% CI: [$105.00, $115.00], point estimate $112.00.
                ## Recommendations
                - Buy ETH: allocate 50% of the portfolio, target $200.00 over 7 days; stop-loss at $90.00.
                """),
            Answer("b", "## Summary\nNo view on the market."),
        };
        var evaluator = new Evaluator(RewardSystem.Default, new EvalSettings(CostBps: 10));
        var prices = new PriceHistory([Window(), After()]);
        var results = answers.Select(a => evaluator.Score(a, prices)).ToList();
        var s = evaluator.Summarise(results);

        // a: last 109, said 112 in [105, 115]; 7 days later 116. Up and up: a hit; APE 4/116; 116 > 115: not covered.
        Assert.Equal((2, 1, 1, 0.5), (s.Answers, s.Forecasts, s.Scored, s.NoForecastShare));
        Assert.Equal(1.0, s.Model.HitRate);
        Assert.Equal(4.0 / 116, s.Model.Mape, 12);
        Assert.Equal(0.0, s.Model.CoverageAt(0.90));
        // persistence on the same forecast: 109, APE 7/116; its direction is the last 7 days' (102 → 109: up), a hit.
        Assert.Equal(7.0 / 116, s.Baselines[B.Persistence].Mape, 12);
        Assert.Equal(1.0, s.Baselines[B.Persistence].HitRate);
        // the standard grid scores the baselines on both prompts at 7 and 30 days: 4 each.
        Assert.Equal(4, s.StandardBaselines[B.Persistence].Count);

        // a trades 50 % long for 7 days, 109 → 116, 10 bps a side: 0.9995 · Π(1 + 0.5 · r_t) · 0.9995 − 1 = 0.0306504.
        // b recommends nothing: flat over the default 30 days. Buy-and-hold: 0.999² · 116/109 − 1 and 0.999² · 139/109 − 1.
        Assert.Equal(0.0306504486, results[0].Strategy!.TotalReturn, 9);
        Assert.Equal(ExitReason.Flat, results[1].Strategy!.Reason);
        Assert.Equal((0.0306504486 + 0) / 2, s.Strategy.MeanReturn, 9);
        Assert.Equal((0.0620928073 + 0.2726801743) / 2, s.BuyAndHold.MeanReturn, 9);
        Assert.Equal(1, s.Strategy.Trades);

        var expectedReward = answers.Average(a => RewardSystem.Default.Score(a.Answer, new RewardContext(a.Example.Market, a.Example.Kind)).Total);
        Assert.Equal(expectedReward, s.Reward, 12);
        var line = s.KeyLine();
        Assert.StartsWith($"reward={EvalSummary.F(expectedReward)} direction_hit_rate=1 persistence_hit_rate=1 coverage_90=0 mape=0.0345 persistence_mape=0.0603 sharpe=", line);
        Assert.EndsWith(" answers=2 forecasts=1", line);
    }

    [Fact]
    public void A_forecast_past_the_stored_data_is_not_yet_due()
    {
        var a = Answer("late", "## Forecast\n- 60-day price: 90% CI: [$90.00, $150.00], point estimate $120.00.");
        var r = new Evaluator(RewardSystem.Default).Score(a, new PriceHistory([Window(), After()]));
        Assert.Equal((1, 1, 0), (r.Stated.Count, r.Usable, r.Model.Count));   // usable, but day +60 is not stored yet
        Assert.True(r.HasUsableForecast);
    }
}
