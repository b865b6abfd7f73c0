using System.Text;
using Cortex1.Domain;

namespace Cortex1.Rewards.Tests;

public class AntiHackingTests
{
    /// <summary>A short but honest analysis: correct numbers, few sections.</summary>
    private const string ShortHonest = """
        ## Summary
        ETH closed at $1,746.62 [close_usd] on 2021-02-08, up 27.58% [price_growth_7d] in a week with volume of $48.01B [volume_usd].

        ## Calculations
        - 7d growth = (1,746.62 - 1,369.04) / 1,369.04 = 27.58%

        ## Recommendations
        - Buy ETH with 3% of the portfolio near $1,700, target $1,950 over 30 days, stop-loss $1,500. Risk: a BTC reversal.
        """;

    [Fact]
    public void One_cited_line_repeated_50_times_scores_below_a_short_honest_one()
    {
        var line = "7d growth = (1,746.62 - 1,369.04) / 1,369.04 = 27.58% and ETH closed at $1,746.62 [close_usd] with [price_growth_7d] 27.58% [price_growth_7d]\n";
        var repeated = Fixtures.Score(string.Concat(Enumerable.Repeat(line, 50)));
        var honest = Fixtures.Score(ShortHonest);
        Assert.True(repeated.Total < honest.Total, $"repeated {repeated.Total} vs honest {honest.Total}");
        Assert.True(repeated.Total < 0.05, repeated.PenaltyExplanation);
        Assert.Contains("repeated", repeated.PenaltyExplanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeating_a_perfect_report_does_not_raise_its_score()
    {
        var once = Fixtures.Score(Fixtures.Perfect).Total;
        var twice = Fixtures.Score(Fixtures.Perfect + "\n" + Fixtures.Perfect).Total;
        Assert.True(twice < once);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n  ")]
    [InlineData("asdkj qwpeoi zxcmnb 12 [[[ ]]] ### !!! $$$ ,,, 0.0.0 xkcdqwrt pppppppp zzzzzz")]
    [InlineData("ⓐⓑⓒ ⓓⓔⓕ ☃☃☃ ✓✓✓ ♞♞♞ ░░░ ▓▓▓ ⌘⌘⌘")]
    public void Empty_or_garbage_scores_near_zero(string text)
    {
        Assert.True(Fixtures.Score(text).Total < 0.02);
    }

    [Fact]
    public void Random_tokens_score_near_zero()
    {
        var random = new Random(7);
        var sb = new StringBuilder();
        for (int i = 0; i < 400; i++)
        {
            int len = random.Next(2, 12);
            for (int k = 0; k < len; k++) sb.Append((char)random.Next(33, 127));
            sb.Append(i % 15 == 14 ? '\n' : ' ');
        }
        Assert.True(Fixtures.Score(sb.ToString()).Total < 0.05);
    }

    [Fact]
    public void Very_long_completions_gain_nothing_past_the_scored_length()
    {
        var perfect = Fixtures.Score(Fixtures.Perfect).Total;
        // Padding with varied, on-topic, correct-looking sentences after the report.
        var sb = new StringBuilder(Fixtures.Perfect);
        for (int i = 0; sb.Length < 3 * RewardSystem.MaxScoredChars; i++)
            sb.Append($"\nObservation {i}: ETH closed at $1,746.62 [close_usd] and the trend in market {i} remains worth watching.");
        var padded = Fixtures.Score(sb.ToString());
        Assert.True(padded.Total <= perfect, $"{padded.Total} > {perfect}");
        Assert.Contains("rest not read", padded.PenaltyExplanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Filler_padding_lowers_the_score()
    {
        var perfect = Fixtures.Score(Fixtures.Perfect).Total;
        var filler = string.Concat(Enumerable.Range(0, 60).Select(i => $"This is an important consideration number {i} for everyone to think about carefully. "));
        var padded = Fixtures.Score(Fixtures.Perfect + "\n" + filler);
        Assert.True(padded.Total < perfect - 0.1, padded.PenaltyExplanation);
        Assert.Contains("filler", padded.PenaltyExplanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Citation_spam_does_not_pay()
    {
        var names = Fixtures.Bull.MetricNames.Order().ToArray();
        var spam = "## Summary\n" + string.Join(" ", Enumerable.Range(0, 80).Select(i => $"[{names[i % names.Length]}]"))
            + "\n## Market Data\nETH is rising strongly. " + string.Join(" ", names.Select(n => $"[{n}]"));
        var result = Fixtures.Score(spam);
        Assert.True(result.Total < 0.2, $"{result.Total}: {result.PenaltyExplanation}");
        Assert.Contains("citation spam", result.PenaltyExplanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Honest_reports_carry_no_penalty()
    {
        Assert.Equal(1.0, Fixtures.Score(Fixtures.Perfect).Penalty);
        Assert.Equal(1.0, Fixtures.Score(Fixtures.Example("risk_assessment.high").Completion, TaskKind.RiskAssessment, Fixtures.Crash).Penalty);
    }

    [Fact]
    public void Pathological_input_is_scored_without_crashing()
    {
        var nested = "x = " + new string('(', 5000) + "1,746.62" + new string(')', 5000) + " = 1,746.62";
        var minus = "x = " + string.Concat(Enumerable.Repeat("- ", 3000)) + "1,746.62 = 1,746.62";
        var oneLine = string.Concat(Enumerable.Repeat("ETH 1,746.62 [close_usd] ", 20_000));
        foreach (var text in new[] { nested, minus, oneLine })
            Assert.InRange(Fixtures.Score(text).Total, 0, 0.3);
    }
}
