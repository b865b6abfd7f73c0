using Cortex1.Domain;

namespace Cortex1.Rewards.Tests;

public class RewardSystemTests
{
    [Fact]
    public void Breakdown_has_every_component_in_range_with_an_explanation()
    {
        var b = Fixtures.Score(Fixtures.Example("market_analysis.medium").Completion);
        Assert.Equal(RewardComponents.All, b.Components.Keys);
        Assert.All(b.Components.Values, c =>
        {
            Assert.InRange(c.Score, 0, 1);
            Assert.False(string.IsNullOrWhiteSpace(c.Explanation));
        });
        Assert.InRange(b.Total, 0, 1);
    }

    [Fact]
    public void Weights_change_the_composite()
    {
        var weights = new RewardWeights
        {
            CalculationAccuracy = 0, ConfidenceIntervals = 0, InvestmentInsight = 0, CitationFormat = 0,
            Completeness = 0, MetricCitation = 0, HistoricalReference = 0, Structure = 2,
        };
        var ctx = new RewardContext(Fixtures.Bull, TaskKind.MarketAnalysis);
        var text = Fixtures.Example("market_analysis.medium").Completion;
        var b = new RewardSystem(weights).Score(text, ctx);
        Assert.Equal(b.Components[RewardComponents.Structure].Score * b.Penalty, b.Total, 3);
        Assert.NotEqual(RewardSystem.Default.Score(text, ctx).Total, b.Total);
    }

    [Fact]
    public void Defaults_match_the_issue()
    {
        var w = new RewardWeights();
        Assert.Equal((0.25, 0.15, 0.20, 0.10, 0.10, 0.10, 0.05, 0.05),
            (w.CalculationAccuracy, w.ConfidenceIntervals, w.InvestmentInsight, w.CitationFormat, w.Structure, w.Completeness, w.MetricCitation, w.HistoricalReference));
    }

    [Fact]
    public void Negative_or_all_zero_weights_are_clear_errors()
    {
        Assert.Throws<ArgumentException>(() => new RewardSystem(new RewardWeights { Structure = -1 }));
        Assert.Throws<ArgumentException>(() => new RewardSystem(new RewardWeights
        {
            CalculationAccuracy = 0, ConfidenceIntervals = 0, InvestmentInsight = 0, CitationFormat = 0,
            Structure = 0, Completeness = 0, MetricCitation = 0, HistoricalReference = 0,
        }));
    }

    [Fact]
    public void Scoring_is_thread_safe_and_deterministic()
    {
        var examples = Cortex1.Rewards.Graded.GradedSet.All;
        var expected = examples.Select(e => RewardSystem.Default.Score(e.Completion, e.Context).Total).ToArray();
        var fresh = new RewardContext(Cortex1.Rewards.Graded.GradedSet.Context("bull_2021"), TaskKind.MarketAnalysis);
        var results = new double[examples.Count * 20];
        Parallel.For(0, results.Length, i =>
        {
            var e = examples[i % examples.Count];
            results[i] = RewardSystem.Default.Score(e.Completion, e.Context).Total;
        });
        for (int i = 0; i < results.Length; i++) Assert.Equal(expected[i % examples.Count], results[i]);
        // A fresh context instance with the same data scores the same (facts are rebuilt, not shared by accident).
        Assert.Equal(expected[examples.ToList().FindIndex(e => e.Name == "market_analysis.high")],
            RewardSystem.Default.Score(Fixtures.Perfect, fresh).Total);
    }

    [Fact]
    public void Null_inputs_are_clear_errors()
    {
        Assert.Throws<ArgumentNullException>(() => RewardSystem.Default.Score(null!, new RewardContext(Fixtures.Bull, TaskKind.MarketAnalysis)));
        Assert.Throws<ArgumentNullException>(() => RewardSystem.Default.Score("x", null!));
    }
}
