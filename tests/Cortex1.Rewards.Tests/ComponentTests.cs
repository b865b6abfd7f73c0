using Cortex1.Domain;

namespace Cortex1.Rewards.Tests;

public class ConfidenceIntervalTests
{
    private static double Ci(string text) => Fixtures.Component(text, RewardComponents.ConfidenceIntervals);

    [Fact]
    public void Two_valid_intervals_score_full_and_one_scores_less()
    {
        const string one = "7-day price: 90% CI: [$1,520, $2,010], point estimate $1,790.";
        const string two = one + "\n30-day return: 80% CI: [-18.0%, 35.0%], point estimate 6.0%.";
        Assert.Equal(1.0, Ci(two));
        Assert.Equal(0.7, Ci(one), 3);
    }

    [Fact]
    public void Inverted_bounds_score_zero()
    {
        Assert.Equal(0, Ci("90% CI: [$2,010, $1,520], point estimate $1,790."));
    }

    [Fact]
    public void A_point_outside_the_interval_or_missing_scores_less()
    {
        double good = Ci("90% CI: [$1,520, $2,010], point estimate $1,790.");
        Assert.True(Ci("90% CI: [$1,520, $2,010], point estimate $2,400.") < good);
        Assert.True(Ci("90% CI: [$1,520, $2,010].") < good);
    }

    [Fact]
    public void Implausible_width_or_scale_and_bad_levels_score_less()
    {
        double good = Ci("90% CI: [$1,520, $2,010], point estimate $1,790.");
        Assert.True(Ci("90% CI: [$1, $90,000], point estimate $1,790.") < good);           // wider than the point itself
        Assert.True(Ci("90% CI: [$1,789, $1,791], point estimate $1,790.") < good);        // 0.1% wide: false precision
        Assert.True(Ci("90% CI: [$9.0e5, $2,000,000], point estimate $1,500,000.") < good); // nothing in the data is near this scale
        Assert.True(Ci("150% CI: [$1,520, $2,010], point estimate $1,790.") < good);
    }

    [Fact]
    public void No_interval_scores_zero() => Assert.Equal(0, Ci("ETH may go up."));
}

public class InvestmentInsightTests
{
    private static ComponentScore Insight(string text) => Fixtures.Score(text).Components[RewardComponents.InvestmentInsight];

    [Fact]
    public void Quantities_targets_and_risks_raise_the_score()
    {
        var bare = Insight("## Recommendations\n- Buy ETH.");
        var full = Insight("## Recommendations\n- Buy ETH: 5% of the portfolio at $1,700, target $1,950 over 30 days, stop-loss $1,500. Risk: trend failure.");
        Assert.True(full.Score > bare.Score + 0.4, full.Explanation);
        Assert.Contains("1 with quantities, 1 with stated risks", full.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Three_recommendations_beat_one_and_none_scores_zero()
    {
        const string rec = "5% of the portfolio, target $1,950 over 30 days, stop-loss $1,500.";
        var one = Insight($"## Recommendations\n- Buy ETH: {rec}").Score;
        var three = Insight($"## Recommendations\n- Buy ETH: {rec}\n- Hold BTC: 10% of the portfolio, target $50,000 within 30 days, stop-loss $40,000.\n- Hedge ETH with puts at $1,550 covering 25%; risk capped at 11%.").Score;
        Assert.True(three > one);
        Assert.Equal(0, Insight("The market is interesting and prices move.").Score);
    }
}

public class CitationFormatTests
{
    private static ComponentScore Citations(string text) => Fixtures.Score(text).Components[RewardComponents.CitationFormat];

    [Fact]
    public void Valid_citations_sourcing_numbers_score_full()
    {
        var c = Citations("ETH closed at $1,746.62 [close_usd] on volume of $48.01B [volume_usd] and a cap of $200.15B [market_cap_usd].");
        Assert.Equal(1.0, c.Score);
    }

    [Fact]
    public void Unknown_metrics_and_malformed_references_count_against()
    {
        const string good = "ETH closed at $1,746.62 [close_usd] on volume of $48.01B [volume_usd] and a cap of $200.15B [market_cap_usd].";
        var unknown = Citations(good + " Fees were $3.1M [total_fees_usd].");
        var malformed = Citations(good + " See the chart [1] and [Close Price].");
        Assert.True(unknown.Score < 1.0);
        Assert.Contains("[total_fees_usd] is not in the data", unknown.Explanation, StringComparison.Ordinal);
        Assert.True(malformed.Score < 1.0);
        Assert.Contains("2 malformed", malformed.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Citations_without_numbers_earn_half_and_none_scores_zero()
    {
        var unbound = Citations("Price [close_usd], volume [volume_usd] and cap [market_cap_usd] all matter.").Score;
        Assert.Equal(0.5, unbound, 3);
        Assert.Equal(0, Citations("ETH closed at $1,746.62.").Score);
    }
}

public class StructureTests
{
    private static string Report(IEnumerable<string> headings) =>
        string.Concat(headings.Select(h => $"## {h}\nUnder {h}: ETH closed at $1,746.62 on 2021-02-08 after a strong week of gains.\n"));

    [Theory]
    [InlineData(TaskKind.MarketAnalysis)]
    [InlineData(TaskKind.CrossChainCorrelation)]
    [InlineData(TaskKind.ProtocolAnalysis)]
    [InlineData(TaskKind.RiskAssessment)]
    [InlineData(TaskKind.OpportunityDetection)]
    public void All_required_sections_in_order_score_full(TaskKind kind)
    {
        Assert.Equal(1.0, Fixtures.Component(Report(ReportSections.For(kind)), RewardComponents.Structure, kind));
    }

    [Fact]
    public void Reversed_missing_or_empty_sections_score_less()
    {
        var sections = ReportSections.For(TaskKind.MarketAnalysis);
        Assert.True(Fixtures.Component(Report(sections.Reverse()), RewardComponents.Structure) < 0.3);
        Assert.Equal(4.0 / 7, Fixtures.Component(Report(sections.Take(4)), RewardComponents.Structure), 3);
        var empty = string.Concat(sections.Select(h => $"## {h}\n"));
        Assert.Equal(0.5, Fixtures.Component(empty, RewardComponents.Structure), 3);
    }

    [Fact]
    public void Numbered_bold_and_colon_headings_are_recognised()
    {
        var sections = ReportSections.For(TaskKind.MarketAnalysis);
        var text = string.Concat(sections.Select((h, i) => (i % 3) switch
        {
            0 => $"## {i + 1}. {h}\n",
            1 => $"**{h}**\n",
            _ => $"{h}:\n",
        } + $"Under {h}: ETH closed at $1,746.62 on 2021-02-08 after a strong week of gains.\n"));
        Assert.Equal(1.0, Fixtures.Component(text, RewardComponents.Structure));
    }

    [Fact]
    public void Sections_differ_per_kind()
    {
        var risk = Report(ReportSections.For(TaskKind.RiskAssessment));
        Assert.True(Fixtures.Component(risk, RewardComponents.Structure, TaskKind.CrossChainCorrelation) < 1.0);
    }
}

public class CompletenessTests
{
    [Fact]
    public void Covering_every_aspect_with_evidence_beats_one_aspect()
    {
        const string all = """
            Trading volume was $48.01B [volume_usd]. Transaction activity rose with volume.
            Users and investors returned; market cap reached $200.15B [market_cap_usd].
            The trend is up with momentum; volatility is 7.57% [volatility_30d].
            Downside risk is a drawdown of 14%. Risk rises with leverage.
            Position size: allocate 5% of the portfolio. Entry near $1,700.
            """;
        const string one = "The trend is up with momentum; volatility is 7.57% [volatility_30d]. Momentum is strong.";
        Assert.Equal(1.0, Fixtures.Component(all, RewardComponents.Completeness));
        Assert.Equal(0.2, Fixtures.Component(one, RewardComponents.Completeness), 3);
    }
}

public class MetricCitationTests
{
    [Fact]
    public void More_metrics_cited_and_used_in_arithmetic_score_higher()
    {
        const string few = "ETH closed at $1,746.62 [close_usd].";
        const string many = """
            ETH closed at $1,746.62 [close_usd], high $1,770.59 [high_usd], low $1,571.58 [low_usd], open $1,613.64 [open_usd].
            Volume $48.01B [volume_usd], cap $200.15B [market_cap_usd], 7d growth 27.58% [price_growth_7d], volatility 7.57% [volatility_30d].
            Range = 1,770.59 - 1,571.58 = 199.01
            Turnover = $48.01B / $200.15B = 0.2399
            """;
        var a = Fixtures.Score(few).Components[RewardComponents.MetricCitation];
        var b = Fixtures.Score(many).Components[RewardComponents.MetricCitation];
        Assert.True(b.Score > a.Score);
        Assert.Equal(1.0, b.Score);
        Assert.Contains("used in calculations", b.Explanation, StringComparison.Ordinal);
    }
}

public class HistoricalReferenceTests
{
    private static ComponentScore History(string text) => Fixtures.Score(text).Components[RewardComponents.HistoricalReference];

    [Fact]
    public void Dated_and_relative_comparisons_that_match_the_data_score_full()
    {
        var c = History("On 2021-02-01 ETH closed at $1,369.04. Compared with the start of the window at $1,262.25, ETH is up 38.37%.");
        Assert.Equal(1.0, c.Score);
    }

    [Fact]
    public void A_dated_value_that_contradicts_the_data_scores_lower_than_none_wrong()
    {
        var right = History("On 2021-02-01 ETH closed at $1,369.04. On 2021-01-12 ETH closed at $1,043.43.").Score;
        var wrong = History("On 2021-02-01 ETH closed at $1,369.04. On 2021-01-12 ETH closed at $1,243.43.");
        Assert.True(wrong.Score < right);
        Assert.Contains("1 contradict", wrong.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Dates_outside_the_data_are_unverifiable_and_no_reference_scores_zero()
    {
        var c = History("On 2017-12-17 BTC peaked at $19,497.40.");
        Assert.Equal(0, c.Score);
        Assert.Contains("1 unverifiable", c.Explanation, StringComparison.Ordinal);
        Assert.Equal(0, History("ETH is strong.").Score);
    }
}
