using System.Text.RegularExpressions;
using Cortex1.Domain;
using Cortex1.Rewards;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Offline;
using Cortex1.Synth.Prompts;

namespace Cortex1.Synth.Tests;

/// <summary>The compact prompt profile (the baby model's): a short window, only the chains and columns the prompt shows
/// are in the market context the rewards check against, and the offline analyst still passes the gate on it.</summary>
public class PromptProfileTests
{
    static readonly WindowPlanner.Plan Compact = WindowPlanner.Build(EmbeddedMarket.History, 40, 10, seed: 7, PromptProfile.Compact);

    [Fact]
    public void Compact_windows_hold_exactly_what_the_prompt_shows()
    {
        foreach (var task in Compact.Tasks)
        {
            var prompt = PromptBuilder.Build(task);
            Assert.All(task.Market.Series, s => Assert.Equal(PromptProfile.Compact.WindowDays, s.Days.Count));
            Assert.Equal(task.Kind == TaskKind.CrossChainCorrelation ? 2 : 1, task.Market.Series.Count);
            // One table per series of the context, each titled with its dates, and no other.
            var tables = Regex.Matches(prompt, @"^### .*, daily, (\S+) to (\S+)$", RegexOptions.Multiline);
            Assert.Equal(task.Market.Series.Count, tables.Count);
            Assert.All(tables, t => Assert.Equal((Numbers.Day(task.Start), Numbers.Day(task.End)), (t.Groups[1].Value, t.Groups[2].Value)));
            // Each day of each series is a row, and the context has no daily column the table leaves out.
            foreach (var s in task.Market.Series)
                foreach (var d in s.Days)
                    Assert.Contains($"| {Numbers.Day(d.Day)} | {Numbers.Value(d.Get(MetricNames.CloseUsd)!.Value)} |", prompt);
            var daily = task.Market.MetricNames.Where(PromptBuilder.DailyColumns.Contains).Order(StringComparer.Ordinal);
            Assert.Equal(PromptProfile.Compact.Columns!.Order(StringComparer.Ordinal), daily);
            Assert.DoesNotContain(MetricNames.MarketCapUsd, prompt);
            // The last day once more as [metric] value pairs, the form the baby copies from: the same values as its row.
            foreach (var s in task.Market.Series)
                Assert.Contains($"Latest on {Numbers.Day(s.End)}: " + string.Join(" · ", PromptProfile.Compact.Columns!.Select(c => $"[{c}] {Numbers.Value(s.Last.Get(c)!.Value)}")), prompt);
            // The short rules still list every section in order.
            Assert.All(ReportSections.For(task.Kind).Select((s, i) => $"{i + 1}. {s}"), line => Assert.Contains(line, prompt));
        }
    }

    [Fact]
    public void Compact_prompts_are_a_fraction_of_the_standard_ones_and_the_offline_answers_pass_the_gate()
    {
        var standard = WindowPlanner.Build(EmbeddedMarket.History, 40, 10, seed: 7);
        Assert.All(standard.Tasks, t => Assert.Equal(WindowPlanner.WindowDays, t.Focus.Days.Count));
        var compactLength = Compact.Tasks.Average(t => PromptBuilder.Build(t).Length);
        var standardLength = standard.Tasks.Average(t => PromptBuilder.Build(t).Length);
        Assert.All(standard.Tasks, t => Assert.DoesNotContain("Latest on", PromptBuilder.Build(t)));
        Assert.True(compactLength < standardLength / 2.5, $"compact {compactLength:F0} vs standard {standardLength:F0} characters");

        var gate = new SynthOptions().QualityGate;
        foreach (var task in Compact.Tasks)
        {
            var b = RewardSystem.Default.Score(OfflineAnalyst.Write(task).Answer, new RewardContext(task.Market, task.Kind));
            Assert.True(b.Total >= gate, $"{task.Key}: {b.Total:F3} ({b.TruthExplanation})");
            Assert.True(b.Components[RewardComponents.Structure].Score >= 0.99, $"{task.Key}: {b.Components[RewardComponents.Structure].Explanation}");
        }
        // Time is still cut once: every eval window starts after every train window ends.
        Assert.True(Compact.Tasks.Where(t => t.Split == Split.Train).Max(t => t.End) < Compact.Tasks.Where(t => t.Split == Split.Eval).Min(t => t.Start));
    }

    [Fact]
    public void The_profile_is_a_request_field_named_in_the_default_version()
    {
        Assert.Equal("offline-s42", new SynthRunRequest().DatasetVersion);
        Assert.Equal("offline-compact-s42", new SynthRunRequest(Profile: "compact").DatasetVersion);
        Assert.Equal("v1", new SynthRunRequest(Profile: "compact", Version: "v1").DatasetVersion);
        Assert.Null(new SynthRunRequest(Profile: "Compact").Validate());
        Assert.Contains("prompt profile 'tiny' is unknown", new SynthRunRequest(Profile: "tiny").Validate());
    }
}
