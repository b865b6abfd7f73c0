namespace Cortex1.Rewards.Tests;

public class CalculationAccuracyTests
{
    private const string Name = RewardComponents.CalculationAccuracy;

    private static string Calcs(params string[] lines) => "## Calculations\n" + string.Join("\n", lines.Select(l => "- " + l));

    [Fact]
    public void A_single_wrong_number_in_a_perfect_analysis_lowers_calculation_accuracy()
    {
        var perfect = Fixtures.Score(Fixtures.Perfect);
        var oneWrong = Fixtures.Perfect.Replace("/ 1,369.04 = 27.58%", "/ 1,369.04 = 29.58%", StringComparison.Ordinal);
        Assert.NotEqual(Fixtures.Perfect, oneWrong);
        var scored = Fixtures.Score(oneWrong);
        Assert.Equal(1.0, perfect.Components[Name].Score);
        Assert.True(scored.Components[Name].Score < perfect.Components[Name].Score - 0.1, scored.Components[Name].Explanation);
        Assert.Contains("1 wrong", scored.Components[Name].Explanation, StringComparison.Ordinal);
        Assert.True(scored.Total < perfect.Total);
    }

    [Fact]
    public void A_cited_value_that_contradicts_the_data_is_wrong()
    {
        var wrong = Fixtures.Perfect.Replace("$1,746.62 [close_usd] on 2021-02-08", "$1,846.62 [close_usd] on 2021-02-08", StringComparison.Ordinal);
        Assert.NotEqual(Fixtures.Perfect, wrong);
        var c = Fixtures.Score(wrong).Components[Name];
        Assert.True(c.Score < 1, c.Explanation);
        Assert.Contains("1,846.62 is not a value of [close_usd]", c.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Correct_arithmetic_on_numbers_not_in_the_data_earns_nothing()
    {
        var text = Calcs(
            "Growth = (2,000.00 - 1,500.00) / 1,500.00 = 33.33%",
            "Ratio = 45,000.00 / 1,500.00 = 30.00",
            "Average = (1,500.00 + 2,000.00) / 2 = 1,750.00");
        var c = Fixtures.Score(text).Components[Name];
        Assert.Equal(0, c.Score);
        Assert.Contains("3 not derivable", c.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Recomputes_growth_ratio_average_and_volatility_from_the_data()
    {
        var text = Calcs(
            "7d growth = (1,746.62 - 1,369.04) / 1,369.04 = 27.58%",
            "BTC/ETH ratio = 46,196.46 / 1,746.62 = 26.45",
            "7d average close = (1,515.19 + 1,660.91 + 1,594.76 + 1,718.65 + 1,677.85 + 1,614.23 + 1,746.62) / 7 = 1,646.89",
            "Annualised volatility = 7.57% × √365 = 144.6%");
        var c = Fixtures.Score(text).Components[Name];
        Assert.Equal(1.0, c.Score);
        Assert.StartsWith("4 calculations verified, 0 wrong", c.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_fraction_or_percent_results_and_chained_steps()
    {
        var text = Calcs(
            "Growth = (1,746.62 - 1,369.04) / 1,369.04 = 0.2758",
            "Gain = 1,746.62 - 1,369.04 = 377.58",
            "Growth = 377.58 / 1,369.04 × 100 = 27.58%");
        var c = Fixtures.Score(text).Components[Name];
        Assert.StartsWith("3 calculations verified, 0 wrong, 0 not derivable", c.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_arithmetic_on_real_numbers_is_wrong()
    {
        var c = Fixtures.Score(Calcs("BTC/ETH ratio = 46,196.46 / 1,746.62 = 24.45")).Components[Name];
        Assert.Equal(0, c.Score);
        Assert.Contains("1 wrong", c.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Arithmetic_on_constants_alone_is_ignored_and_no_calculations_score_zero()
    {
        Assert.Equal(0, Fixtures.Component(Calcs("Days = 2 + 5 = 7"), Name));
        Assert.Equal(0, Fixtures.Component("ETH looked strong this month.", Name));
    }

    [Fact]
    public void Fewer_verified_calculations_earn_proportionally_less()
    {
        var one = Fixtures.Component(Calcs("7d growth = (1,746.62 - 1,369.04) / 1,369.04 = 27.58%"), Name);
        var three = Fixtures.Component(Calcs(
            "7d growth = (1,746.62 - 1,369.04) / 1,369.04 = 27.58%",
            "BTC/ETH ratio = 46,196.46 / 1,746.62 = 26.45",
            "Window growth = (1,746.62 - 1,262.25) / 1,262.25 = 38.37%"), Name);
        Assert.True(one < three);
        Assert.Equal(1.0, three);
    }

    [Fact]
    public void A_fall_written_as_down_x_percent_matches_a_negative_growth()
    {
        var c = Fixtures.Score("BTC is down 35.65% [price_growth_30d] over the month.", market: Fixtures.Crash).Components[Name];
        Assert.Contains("1 figures verified", c.Explanation, StringComparison.Ordinal);
        var up = Fixtures.Score("BTC is at 35.65% [price_growth_30d] over the month.", market: Fixtures.Crash).Components[Name];
        Assert.Contains("1 wrong", up.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dump_of_cited_data_is_not_a_set_of_calculations()
    {
        var eth = Fixtures.Bull.Find("ethereum")!;
        var dump = string.Join("\n", eth.Days.Select(d => $"On {d.Day:yyyy-MM-dd} ETH closed at ${d.Get("close_usd"):F2} [close_usd]."));
        var c = Fixtures.Score(dump).Components[Name];
        Assert.Contains("30 figures verified", c.Explanation, StringComparison.Ordinal);
        Assert.True(c.Score <= 1.0 / 3 + 1e-9, c.Explanation);
    }

    [Fact]
    public void Identities_and_relabelled_repeats_are_not_extra_calculations()
    {
        var c = Fixtures.Score(Calcs(
            "ETH close = 1,746.62 × 1 = 1,746.62",
            "BTC close = 46,196.46 + 0 = 46,196.46",
            "7d growth = (1,746.62 - 1,369.04) / 1,369.04 = 27.58%",
            "Weekly return = (1,746.62 - 1,369.04) / 1,369.04 = 27.58%",
            "Seven-day change = (1,746.62 - 1,369.04) / 1,369.04 = 27.58%")).Components[Name];
        Assert.StartsWith("1 calculations verified", c.Explanation, StringComparison.Ordinal);
        Assert.True(c.Score < 0.5);
    }
}
