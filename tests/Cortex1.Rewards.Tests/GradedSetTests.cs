using Cortex1.Domain;
using Cortex1.Rewards.Graded;

namespace Cortex1.Rewards.Tests;

public class GradedSetTests
{
    [Fact]
    public void Every_kind_has_a_high_medium_and_low_example()
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
        Assert.All(report.Results.Where(r => r.Example.Quality == Quality.High), r => Assert.True(r.Breakdown.Total >= 0.75));
        Assert.All(report.Results.Where(r => r.Example.Quality == Quality.Low), r => Assert.True(r.Breakdown.Total <= 0.30));
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
