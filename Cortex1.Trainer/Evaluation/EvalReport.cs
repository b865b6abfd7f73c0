using System.Globalization;
using System.Text;
using Cortex1.Evaluation;
using Cortex1.Evaluation.Scoring;
using Cortex1.Rewards;
using B = Cortex1.Evaluation.Baselines.Baselines;

namespace Cortex1.Trainer.Evaluation;

/// <summary>
/// The report of one evaluation: <c>report.md</c> (tables of every metric, the model beside the baselines) and the PNG
/// plots it shows, as files to publish under <c>reports/eval/{id}/</c>.
/// </summary>
public static class EvalReport
{
    public const string Markdown = "report.md";

    public static IReadOnlyList<(string Name, byte[] Content)> Files(long id, EvalRequest request, EvalSummary s, IReadOnlyList<AnswerResult> results)
    {
        var title = $"{request.Model} on {request.Dataset}/{request.Version} {request.Split}";
        return
        [
            (Markdown, Encoding.UTF8.GetBytes(Text(id, request, s, results))),
            ("reward_components.png", EvalPlots.RewardComponents(s, title)),
            ("error_by_horizon.png", EvalPlots.ErrorByHorizon(s, title)),
            ("calibration.png", EvalPlots.Calibration(s, title)),
            ("equity.png", EvalPlots.Equity(s, title, request.CostBps)),
        ];
    }

    private static string P(double x) => double.IsNaN(x) ? "n/a" : (x * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
    private static string N(double x) => double.IsNaN(x) ? "n/a" : x.ToString("0.000", CultureInfo.InvariantCulture);

    public static string Text(long id, EvalRequest request, EvalSummary s, IReadOnlyList<AnswerResult> results)
    {
        var b = new StringBuilder();
        b.AppendLine($"# Evaluation {id}: {request.Model}");
        b.AppendLine();
        b.AppendLine($"Data set `{request.Dataset}/{request.Version}`, split `{request.Split}` ({s.Answers} prompts, windows " +
                     $"{results.Min(r => r.Answer.Example.WindowStart):yyyy-MM-dd} to {results.Max(r => r.Answer.Example.WindowEnd):yyyy-MM-dd}); " +
                     $"answers from `{request.Endpoint}`, greedy, at most {request.MaxTokens} tokens.");
        b.AppendLine();
        b.AppendLine("```");
        b.AppendLine(s.KeyLine());
        b.AppendLine("```");
        b.AppendLine();
        b.AppendLine("## Reward");
        b.AppendLine();
        b.AppendLine("| component | mean |");
        b.AppendLine("| --- | --- |");
        foreach (var c in RewardComponents.All) b.AppendLine($"| {c} | {N(s.Components[c])} |");
        b.AppendLine($"| **composite** | **{N(s.Reward)}** |");
        b.AppendLine();
        b.AppendLine("![reward per component](reward_components.png)");
        b.AppendLine();
        b.AppendLine("## Forecasts against what happened");
        b.AppendLine();
        b.AppendLine($"{s.Forecasts} usable forecasts stated, {s.Scored} due within the stored data and scored against the close " +
                     $"`h` days after the window; {P(s.NoForecastShare)} of answers state no usable forecast. Baselines are computed " +
                     "from each prompt's own window for the same asset, horizon and level as each scored forecast.");
        b.AppendLine();
        b.AppendLine("| forecaster | scored | direction hit rate | MAPE | 90% coverage |");
        b.AppendLine("| --- | --- | --- | --- | --- |");
        b.AppendLine(Row("model", s.Model));
        foreach (var (name, m) in s.Baselines) b.AppendLine(Row(name, m));
        b.AppendLine();
        b.AppendLine("Intervals by stated level (width and Winkler score as fractions of the last close; lower Winkler is better):");
        b.AppendLine();
        b.AppendLine("| forecaster | level | intervals | coverage | mean width | mean Winkler |");
        b.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var (name, m) in new[] { ("model", s.Model), (B.RandomWalk, s.Baselines[B.RandomWalk]) })
            foreach (var l in m.Levels)
                b.AppendLine($"| {name} | {P(l.Level)} | {l.Count} | {P(l.Coverage)} | {P(l.MeanWidth)} | {N(l.MeanWinkler)} |");
        b.AppendLine();
        b.AppendLine("By horizon (point forecasts):");
        b.AppendLine();
        b.AppendLine("| horizon | model n | model MAPE | persistence MAPE | drift MAPE | model hit rate | persistence hit rate |");
        b.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var h in s.Model.Horizons)
        {
            HorizonError? Of(string n) => s.Baselines[n].Horizons.FirstOrDefault(x => x.Days == h.Days);
            b.AppendLine($"| {h.Days} d | {h.Count} | {P(h.Mape)} | {P(Of(B.Persistence)?.Mape ?? double.NaN)} | {P(Of(B.Drift)?.Mape ?? double.NaN)} | " +
                         $"{P(h.HitRate)} | {P(Of(B.Persistence)?.HitRate ?? double.NaN)} |");
        }
        b.AppendLine();
        b.AppendLine("![forecast error by horizon](error_by_horizon.png)");
        b.AppendLine();
        b.AppendLine("![calibration](calibration.png)");
        b.AppendLine();
        b.AppendLine("Baselines on every prompt (the focus asset at 7 and 30 days, random-walk intervals at 90%), whatever the model stated:");
        b.AppendLine();
        b.AppendLine("| baseline | scored | direction hit rate | MAPE | 90% coverage |");
        b.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var (name, m) in s.StandardBaselines) b.AppendLine(Row(name, m));
        b.AppendLine();
        b.AppendLine("## Backtest of the recommendations");
        b.AppendLine();
        b.AppendLine($"Each answer's recommendations on its focus asset become one position entered at the window's last close and " +
                     $"held on the realised daily closes to its stated horizon (default 30 days) or its stop/target, {s.CostBps:0.#} bps a side. " +
                     "Buy-and-hold is fully invested over the same days at the same cost. Sharpe: daily returns of every trade pooled, " +
                     "annualised with √365 (crypto trades every day); drawdown of the mean trade's path.");
        b.AppendLine();
        b.AppendLine("| strategy | trades | mean return | max drawdown (mean path) | worst trade drawdown | Sharpe |");
        b.AppendLine("| --- | --- | --- | --- | --- | --- |");
        b.AppendLine($"| recommendations | {s.Strategy.Trades} | {P(s.Strategy.MeanReturn)} | {P(s.Strategy.MaxDrawdown)} | {P(s.Strategy.WorstDrawdown)} | {N(s.Strategy.Sharpe)} |");
        b.AppendLine($"| buy-and-hold | {s.BuyAndHold.Trades} | {P(s.BuyAndHold.MeanReturn)} | {P(s.BuyAndHold.MaxDrawdown)} | {P(s.BuyAndHold.WorstDrawdown)} | {N(s.BuyAndHold.Sharpe)} |");
        b.AppendLine();
        b.AppendLine("![equity](equity.png)");
        b.AppendLine();
        b.AppendLine("## Answers");
        b.AppendLine();
        b.AppendLine("| example | chain | window end | reward | forecasts (usable/scored) | hits | exposure | trade | buy-and-hold |");
        b.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
            b.AppendLine($"| {r.Id} | {r.Answer.Example.Chain} | {r.Answer.Example.WindowEnd:yyyy-MM-dd} | {N(r.Reward.Total)} | {r.Stated.Count} ({r.Usable}/{r.Model.Count}) | " +
                         $"{r.Model.Count(f => f.Hit == true)}/{r.Model.Count(f => f.Hit is not null)} | {P(r.Strategy?.Plan.Exposure ?? double.NaN)} | " +
                         $"{P(r.Strategy?.TotalReturn ?? double.NaN)} | {P(r.BuyAndHold?.TotalReturn ?? double.NaN)} |");
        return b.ToString();
    }

    private static string Row(string name, ForecastMetrics m) =>
        $"| {name} | {m.Count} | {P(m.HitRate)} ({m.Hits}/{m.Directions}) | {P(m.Mape)} | {P(m.CoverageAt(0.90))} |";
}
