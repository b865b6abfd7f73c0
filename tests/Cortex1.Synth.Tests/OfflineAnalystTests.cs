using Xunit.Abstractions;
using Cortex1.Domain;
using Cortex1.Rewards;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Offline;
using Cortex1.Synth.Prompts;

namespace Cortex1.Synth.Tests;

public class OfflineAnalystTests(ITestOutputHelper output)
{
    private static readonly WindowPlanner.Plan Plan = WindowPlanner.Build(EmbeddedMarket.History, 40, 10, seed: 7);

    [Fact]
    public void Every_planned_offline_answer_passes_the_default_gate_with_all_sections()
    {
        var gate = new SynthOptions().QualityGate;
        var scores = new List<(string Key, double Total)>();
        foreach (var task in Plan.Tasks)
        {
            var answer = OfflineAnalyst.Write(task);
            var b = RewardSystem.Default.Score(answer.Answer, new RewardContext(task.Market, task.Kind));
            scores.Add((task.Key, b.Total));
            Assert.True(b.Components[RewardComponents.Structure].Score >= 0.99, $"{task.Key}: {b.Components[RewardComponents.Structure].Explanation}");
            Assert.False(string.IsNullOrWhiteSpace(answer.Reasoning));
            Assert.DoesNotContain("## ", answer.Reasoning);
        }
        output.WriteLine($"offline rewards over {scores.Count} tasks: min {scores.Min(s => s.Total):0.000}, mean {scores.Average(s => s.Total):0.000}, max {scores.Max(s => s.Total):0.000}");
        var failing = scores.Where(s => s.Total < gate).ToList();
        Assert.True(failing.Count == 0, "Below the gate: " + string.Join("; ", failing.Select(f => $"{f.Key} {f.Total:0.000}")));
    }

    [Fact]
    public void Offline_answers_over_many_real_windows_make_no_claim_the_truth_gate_rejects()
    {
        // The analyst computes every figure from the window, so the gate must find nothing false in any of them;
        // a failure here is a wrong number in the analyst or a false alarm in the gate (the explanation says which claim).
        var gate = new SynthOptions().QualityGate;
        var plan = WindowPlanner.Build(EmbeddedMarket.History, 200, 50, seed: 11);
        var problems = new List<string>();
        foreach (var task in plan.Tasks)
        {
            var b = RewardSystem.Default.Score(OfflineAnalyst.Write(task).Answer, new RewardContext(task.Market, task.Kind));
            if (b.Truth < 1 || b.Total < gate) problems.Add($"{task.Key}: total {b.Total:0.000}, truth {b.TruthExplanation}");
        }
        output.WriteLine($"{plan.Tasks.Count} offline answers scored, {problems.Count} with a problem");
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));
    }

    [Fact]
    public void Calculations_check_against_the_data_and_intervals_are_read()
    {
        foreach (var task in Plan.Tasks.Take(10))
        {
            var b = RewardSystem.Default.Score(OfflineAnalyst.Write(task).Answer, new RewardContext(task.Market, task.Kind));
            Assert.True(b.Components[RewardComponents.CalculationAccuracy].Score >= 0.7, $"{task.Key}: {b.Components[RewardComponents.CalculationAccuracy].Explanation}");
            Assert.True(b.Components[RewardComponents.ConfidenceIntervals].Score >= 0.7, $"{task.Key}: {b.Components[RewardComponents.ConfidenceIntervals].Explanation}");
        }
    }

    [Fact]
    public void Offline_answers_are_deterministic_and_differ_between_windows()
    {
        var a = Plan.Tasks[0];
        var b = Plan.Tasks.First(t => t.Kind == a.Kind && t.Key != a.Key);
        Assert.Equal(OfflineAnalyst.Write(a), OfflineAnalyst.Write(a));
        Assert.NotEqual(OfflineAnalyst.Write(a).Answer, OfflineAnalyst.Write(b).Answer);
    }

    [Fact]
    public void Bootstrap_interval_brackets_its_point_and_widens_with_the_horizon()
    {
        var task = Plan.Tasks[0];
        var stats = new WindowStatistics(task.Focus);
        var week = stats.Bootstrap(7, 0.9, 1);
        var month = stats.Bootstrap(30, 0.9, 1);
        Assert.True(week.Lower < week.Point && week.Point < week.Upper);
        Assert.True(month.Upper - month.Lower > week.Upper - week.Lower);
        Assert.Equal(week, stats.Bootstrap(7, 0.9, 1));
        // Realised volatility of this window is the sample standard deviation of its log returns.
        var r = task.Focus.Days.Zip(task.Focus.Days.Skip(1), (x, y) => Math.Log(y.Get(MetricNames.CloseUsd)!.Value / x.Get(MetricNames.CloseUsd)!.Value)).ToArray();
        var mean = r.Average();
        Assert.Equal(Math.Sqrt(r.Sum(x => (x - mean) * (x - mean)) / (r.Length - 1)), stats.DailyVolatility, 12);
    }

    [Fact]
    public void Prompts_come_from_templates_with_the_kinds_sections_and_real_numbers()
    {
        foreach (var kind in Enum.GetValues<TaskKind>())
        {
            var task = Plan.Tasks.First(t => t.Kind == kind);
            var prompt = PromptBuilder.Build(task);
            Assert.DoesNotContain("{{", prompt);
            var positions = ReportSections.For(kind).Select(s => prompt.IndexOf($". {s}\n", StringComparison.Ordinal) is var i and >= 0 ? i : prompt.IndexOf($". {s}", StringComparison.Ordinal)).ToList();
            Assert.All(positions, p => Assert.True(p >= 0));
            Assert.Equal(positions.Order(), positions);
            Assert.Contains(Numbers.Value(task.Focus.Last.Get(MetricNames.CloseUsd)!.Value), prompt);
            Assert.Contains("[close_usd]", prompt);
            Assert.Contains(Numbers.Day(task.End), prompt);
        }
    }

    [Fact]
    public void Plan_is_reproducible_balanced_and_split_strictly_by_time()
    {
        var again = WindowPlanner.Build(EmbeddedMarket.History, 40, 10, seed: 7);
        Assert.Equal(Plan.Tasks.Select(t => t.Key), again.Tasks.Select(t => t.Key));
        Assert.Equal(Plan.Tasks.Count, Plan.Tasks.Select(t => t.Key).Distinct().Count());

        var train = Plan.Tasks.Where(t => t.Split == Split.Train).ToList();
        var eval = Plan.Tasks.Where(t => t.Split == Split.Eval).ToList();
        Assert.Equal(40, train.Count);
        Assert.Equal(10, eval.Count);
        Assert.True(train.Max(t => t.End) <= Plan.Cut && eval.Min(t => t.Start) > Plan.Cut);
        Assert.All(train.GroupBy(t => t.Kind), g => Assert.Equal(8, g.Count()));
        Assert.True(train.Select(t => t.Condition).Distinct().Count() >= 5, "train covers at least five conditions");
        Assert.All(Plan.Tasks.Where(t => t.Kind == TaskKind.CrossChainCorrelation), t => Assert.True(t.Market.Series.Count >= 2));
        Assert.All(Plan.Tasks, t => Assert.Equal(WindowPlanner.WindowDays, t.Focus.Days.Count));

        var other = WindowPlanner.Build(EmbeddedMarket.History, 40, 10, seed: 8);
        Assert.NotEqual(Plan.Tasks.Select(t => t.Key), other.Tasks.Select(t => t.Key));
    }
}
