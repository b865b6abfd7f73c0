using Cortex1.Domain;

namespace Cortex1.Rewards.Tests;

/// <summary>The truth gate: false and invented claims lower the whole score, by the rule the README states.</summary>
public class TruthGateTests
{
    // Real values of bull_2021 on 2021-02-08: BTC, ETH and SOL closes and ETH's 7-day growth.
    private const string RightLines = """
        ## Market Data
        - BTC close $46,196.46 [close_usd] on the last day.
        - ETH close $1,746.62 [close_usd] on the last day.
        - SOL close $7.8832 [close_usd] on the last day.
        - ETH gained 27.58% [price_growth_7d] in the week.

        """;

    [Fact]
    public void One_wrong_cited_value_among_five_gives_the_factor_the_rule_states()
    {
        // SOL never closed at $9.50 in the window: 4 verified, 1 wrong → 20% false.
        var b = Fixtures.Score(RightLines + "- SOL close $9.50 [close_usd] at the peak.\n");
        // 1 − (1 − 0.05) × (0.20 − 0.10) / (0.50 − 0.10) = 0.7625
        Assert.Equal(0.7625, b.Truth, 4);
        Assert.Contains("4 verified, 1 wrong", b.TruthExplanation, StringComparison.Ordinal);
        Assert.Equal(1.0, Fixtures.Score(RightLines).Truth);
    }

    [Fact]
    public void Truth_multiplies_the_whole_composite_with_the_anti_hacking_factor()
    {
        var wrong = Fixtures.Example("market_analysis.wrong");
        var b = RewardSystem.Default.Score(wrong.Completion, wrong.Context);
        var w = RewardWeights.Default;
        double mean = RewardComponents.All.Sum(c => w.For(c) * b.Components[c].Score) / RewardComponents.All.Sum(w.For);
        Assert.Equal(w.TruthFloor, b.Truth, 4);
        Assert.Equal(Math.Round(mean * b.Penalty, 4), b.Total, 4);
        Assert.True(b.Penalty <= b.Truth);
        // The same report scored with the gate switched off (floor 1) keeps its form score.
        var ungated = new RewardSystem(w with { TruthFloor = 1 }).Score(wrong.Completion, wrong.Context);
        Assert.True(ungated.Total > 0.4 && b.Total < 0.1 * ungated.Total, $"{ungated.Total} vs {b.Total}");
    }

    [Fact]
    public void Citations_of_metrics_the_data_lacks_are_invented()
    {
        var b = Fixtures.Score(RightLines + "- DeFi TVL $612.4M [tvl_usd], inflows 48,210 [exchange_inflow_btc] a day, gas 23.7 [gas_price_gwei].\n");
        Assert.Contains("3 invented metrics", b.TruthExplanation, StringComparison.Ordinal);
        // 3 invented against 4 verified: 3/7 = 42.9% false → 1 − 0.95 × 0.329/0.4.
        Assert.Equal(1 - 0.95 * (3.0 / 7 - 0.1) / 0.4, b.Truth, 3);
    }

    [Fact]
    public void A_copied_data_table_does_not_dilute_wrong_claims()
    {
        var wrong = Fixtures.Example("market_analysis.wrong");
        var table = string.Join("\n", Fixtures.Bull.Find("ethereum")!.Days.Select(d =>
            $"| {d.Day:yyyy-MM-dd} | {d.Get(MetricNames.CloseUsd)!.Value:0.00} | {d.Get(MetricNames.VolumeUsd)!.Value:0} |"));
        var padded = RewardSystem.Default.Score(wrong.Completion + "\n\n## Appendix\n" + table, wrong.Context);
        Assert.True(padded.Truth <= 0.1, padded.TruthExplanation);
    }

    [Fact]
    public void A_price_interval_off_the_data_scale_and_a_dated_value_off_its_day_are_wrong()
    {
        var offScale = Fixtures.Score(RightLines + "- 90% CI: [$40.00, $60.00], point estimate $50.00 for the next week.\n");
        Assert.Contains("1 wrong", offScale.TruthExplanation, StringComparison.Ordinal);
        var onScale = Fixtures.Score(RightLines + "- 90% CI: [$1,650, $1,980], point estimate $1,810 for ETH next week.\n");
        Assert.Equal(1.0, onScale.Truth);

        // ETH closed at $1,369.04 on 2021-02-01; $1,999.99 is no value of the window at all.
        var dated = Fixtures.Score(RightLines + "On 2021-02-01 ETH closed at $1,999.99.\n");
        Assert.Contains("1 wrong", dated.TruthExplanation, StringComparison.Ordinal);
        Assert.Equal(1.0, Fixtures.Score(RightLines + "On 2021-02-01 ETH closed at $1,369.04.\n").Truth);
    }

    [Fact]
    public void Honest_graded_reports_pass_the_gate_untouched()
    {
        foreach (var e in Cortex1.Rewards.Graded.GradedSet.All.Where(e => e.Quality is Graded.Quality.High or Graded.Quality.Medium or Graded.Quality.Vague))
            Assert.True(RewardSystem.Default.Score(e.Completion, e.Context).Truth >= 0.99, e.Name);
    }

    [Fact]
    public void Truth_settings_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new RewardSystem(new RewardWeights { TruthTolerance = 0.6 }));
        Assert.Throws<ArgumentException>(() => new RewardSystem(new RewardWeights { TruthFloor = 1.5 }));
        Assert.Throws<ArgumentException>(() => new RewardSystem(new RewardWeights { TruthWrongClaim = double.NaN }));
    }
}
