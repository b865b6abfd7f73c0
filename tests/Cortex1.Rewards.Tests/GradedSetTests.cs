using Cortex1.Domain;
using Cortex1.Rewards.Graded;

namespace Cortex1.Rewards.Tests;

public class GradedSetTests
{
    [Fact]
    public void Every_kind_has_one_example_of_every_quality()
    {
        foreach (var kind in new[] { TaskKind.MarketAnalysis, TaskKind.CrossChainCorrelation, TaskKind.RiskAssessment, TaskKind.OpportunityDetection })
            foreach (var quality in Enum.GetValues<Quality>())
                Assert.Single(GradedSet.All, e => e.Kind == kind && e.Quality == quality);
    }

    [Fact]
    public void Graded_set_is_ordered_high_over_medium_over_low_with_floors()
    {
        var report = GradedSet.Run(RewardSystem.Default);
        Assert.True(report.Passed, string.Join("\n", report.Failures));
        Assert.Equal(40, report.Results.Count);
        Assert.All(report.Results.Where(r => r.Example.Quality == Quality.High), r => Assert.True(r.Breakdown.Total >= 0.75));
        Assert.All(report.Results.Where(r => r.Example.Quality == Quality.Low), r => Assert.True(r.Breakdown.Total <= 0.30));
    }

    [Fact]
    public void Being_right_beats_looking_right_in_every_kind()
    {
        var scores = GradedSet.Run(RewardSystem.Default).Results.ToDictionary(r => r.Example.Name, r => r.Breakdown.Total);
        foreach (var kind in new[] { "market_analysis", "cross_chain_correlation", "risk_assessment", "opportunity_detection" })
        {
            double S(string q) => scores[$"{kind}.{q}"];
            Assert.True(S("high") > S("medium") && S("medium") > S("vague") && S("vague") > S("wrong"), kind);
            Assert.True(S("invented") < S("vague"), kind);
            Assert.True(S("spam") < S("medium") && S("dump") < S("medium") && S("prompt") < S("medium") && S("repeated") < S("medium"), kind);
            // A report whose figures are all wrong keeps at most the floor of its form score.
            Assert.True(S("wrong") < 0.1 && S("invented") < 0.1, kind);
        }
    }

    [Fact]
    public void Gate_off_the_wrong_report_would_beat_the_vague_correct_one()
    {
        // Why the gate exists: with it switched off (floor 1) form outweighs truth.
        var ungated = GradedSet.Run(new RewardSystem(RewardWeights.Default with { TruthFloor = 1 })).Results
            .ToDictionary(r => r.Example.Name, r => r.Breakdown.Total);
        Assert.True(ungated["cross_chain_correlation.wrong"] > ungated["cross_chain_correlation.vague"]);
    }

    [Fact]
    public void Fixture_contexts_hold_real_csv_rows()
    {
        // 2021-02-08 ETH close in the CC0 CSV: 1746.61684904.
        var eth = Fixtures.Bull.Find("ethereum")!;
        Assert.Equal(new DateOnly(2021, 2, 8), eth.End);
        Assert.Equal(1746.61684904, eth.Last.Get(MetricNames.CloseUsd)!.Value, 6);
        Assert.Equal(30, eth.Days.Count);
    }
}
