using Cortex1.Domain;
using Cortex1.Rewards;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Offline;
using Cortex1.Synth.Prompts;

namespace Cortex1.Synth.Tests;

/// <summary>The history's moved, rescaled, renamed copies, and the train windows they add to a plan.</summary>
public class HistoryVariantTests
{
    static readonly HistoryVariant Variant = new(Years: -4, PriceScale: 3, ChainRotation: 1);

    [Fact]
    public void A_copy_moves_every_day_scales_only_the_usd_metrics_and_renames_each_chain_to_the_next()
    {
        var history = EmbeddedMarket.History;
        var copy = Variant.Apply(history);
        var names = history.Series.Select(s => s.Chain).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["bitcoin", "ethereum", "solana"], names);
        foreach (var original in history.Series)
        {
            var renamed = names[(names.IndexOf(original.Chain) + 1) % names.Count];
            var moved = Assert.Single(copy.Series, s => s.Chain == renamed && s.Days.Count == original.Days.Count);
            for (var i = 0; i < original.Days.Count; i += 97)
            {
                var (a, b) = (original.Days[i], moved.Days[i]);
                Assert.Equal(new DateOnly(a.Day.Year - 4, a.Day.Month, a.Day.Day), b.Day);
                Assert.Equal(renamed, b.Chain);
                Assert.Equal(a.Metrics.Keys.Order(), b.Metrics.Keys.Order());
                foreach (var (metric, value) in a.Metrics)
                    Assert.Equal(metric.EndsWith("_usd", StringComparison.Ordinal) ? value * 3 : value, b.Metrics[metric], 9);
                if (history.Labels.TryGetValue((a.Chain, a.Day), out var label)) Assert.Equal(label, copy.Labels[(renamed, b.Day)]);
                else Assert.False(copy.Labels.ContainsKey((renamed, b.Day)));
            }
        }
        Assert.Equal(history.Labels.Count, copy.Labels.Count);
    }

    [Fact]
    public void Variants_add_train_windows_from_earlier_years_and_leave_the_cut_and_the_eval_split_as_they_were()
    {
        var history = EmbeddedMarket.History;
        var plain = WindowPlanner.Build(history, 60, 15, seed: 3, PromptProfile.Compact);
        var varied = WindowPlanner.Build(history, 60, 15, seed: 3, PromptProfile.Compact, HistoryVariant.First(2));

        Assert.Equal(plain.Cut, varied.Cut);
        var eval = varied.Tasks.Where(t => t.Split == Split.Eval).ToList();
        Assert.Equal(plain.Tasks.Where(t => t.Split == Split.Eval).Select(t => PromptBuilder.Build(t)), eval.Select(t => PromptBuilder.Build(t)));

        var train = varied.Tasks.Where(t => t.Split == Split.Train).ToList();
        Assert.Equal(60, train.Count);
        Assert.Equal(varied.Tasks.Count, varied.Tasks.Select(t => t.Key).Distinct().Count());
        var first = history.Series.Min(s => s.Start);
        var copied = train.Where(t => t.End < first).ToList();
        Assert.InRange(copied.Count, 10, 50); // the copies are two of three pools of windows
        Assert.All(train, t => Assert.True(t.End <= varied.Cut));
        Assert.True(train.Max(t => t.End) < eval.Min(t => t.Start));

        // A copied window's prices are its original's, scaled: found again by moving the day back and un-renaming the chain.
        var names = history.Series.Select(s => s.Chain).Order(StringComparer.Ordinal).ToList();
        foreach (var task in copied)
        {
            var variant = HistoryVariant.First(2).Single(v => first.AddYears(v.Years) <= task.End && task.End < first.AddYears(v.Years + 4));
            var chain = names[(names.IndexOf(task.Chain) - variant.ChainRotation + names.Count) % names.Count];
            var day = history.Series.Single(s => s.Chain == chain).Days.Single(d => d.Day == variant.Original(task.End));
            Assert.Equal(day.Get(MetricNames.CloseUsd)!.Value * variant.PriceScale, task.Focus.Last.Get(MetricNames.CloseUsd)!.Value, 6);
        }
    }

    [Fact]
    public void The_offline_report_of_a_copied_window_names_its_chain_and_date_and_every_number_checks_against_it()
    {
        var history = EmbeddedMarket.History;
        var plan = WindowPlanner.Build(history, 40, 0, seed: 5, PromptProfile.Compact, HistoryVariant.First(4));
        var first = history.Series.Min(s => s.Start);
        var copied = plan.Tasks.Where(t => t.End < first).ToList();
        Assert.NotEmpty(copied);
        foreach (var task in copied)
        {
            var answer = OfflineAnalyst.Write(task).Answer;
            Assert.Contains(ChainNames.Name(task.Chain), answer);
            Assert.Contains(task.End.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), answer);
            var b = RewardSystem.Default.Score(answer, new RewardContext(task.Market, task.Kind));
            Assert.True(b.Truth >= 1, $"{task.Key}: {b.TruthExplanation}");
        }
    }

    [Fact]
    public void A_request_names_its_variants_in_the_default_version_and_refuses_too_many()
    {
        Assert.Equal("offline-compact-x4-s42", new SynthRunRequest(Profile: "compact", Variants: 4).DatasetVersion);
        Assert.Equal("offline-compact-s42", new SynthRunRequest(Profile: "compact").DatasetVersion);
        Assert.Equal("offline-x2-s7", new SynthRunRequest(Seed: 7, Variants: 2).DatasetVersion);
        Assert.Null(new SynthRunRequest(Variants: HistoryVariant.Max).Validate());
        Assert.Contains("history variants", new SynthRunRequest(Variants: HistoryVariant.Max + 1).Validate());
        Assert.Contains("history variants", new SynthRunRequest(Variants: -1).Validate());
    }
}
