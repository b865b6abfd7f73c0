using Cortex1.Rewards.Text;

namespace Cortex1.Rewards.Tests;

public class TextTests
{
    [Theory]
    [InlineData("$1,745.01", 1745.01, 0.005)]
    [InlineData("-4.5%", -0.045, 0.0005)]
    [InlineData("−4.5%", -0.045, 0.0005)]
    [InlineData("27.58%", 0.2758, 0.00005)]
    [InlineData("$48.01B", 48.01e9, 0.005e9)]
    [InlineData("$155.25M", 155.25e6, 0.005e6)]
    [InlineData("3.4 billion", 3.4e9, 0.05e9)]
    [InlineData("12 percent", 0.12, 0.005)]
    public void Numbers_are_read_in_data_units(string text, double value, double halfUnit)
    {
        var s = Document.Parse("Value: " + text + " here.").Sentences.Single();
        var n = Assert.Single(s.Numbers);
        Assert.Equal(value, n.Value, 6);
        Assert.Equal(halfUnit, n.HalfUnit, 9);
    }

    [Fact]
    public void Periods_words_dates_and_citations_are_not_values()
    {
        var s = Document.Parse("The 7d and 30-day H1 growth on 2021-02-08 was 5% [price_growth_7d].").Sentences.Single();
        var n = Assert.Single(s.Numbers);
        Assert.Equal(0.05, n.Value, 9);
        Assert.Equal(new DateOnly(2021, 2, 8), Assert.Single(s.Dates).Day);
        var c = Assert.Single(s.Citations);
        Assert.Equal("price_growth_7d", c.Name);
        Assert.Equal(0, c.Number);
    }

    [Fact]
    public void A_citation_binds_to_the_number_before_it_or_right_after_it()
    {
        var s = Document.Parse("Close was $1,746.62 [close_usd]; [volume_usd] of $48.01B and [market_cap_usd] alone.").Sentences;
        Assert.Equal(0, s[0].Citations[0].Number);
        Assert.Equal(0, s[1].Citations[0].Number);
        Assert.Equal(-1, s[1].Citations[1].Number);
    }

    [Fact]
    public void Expressions_evaluate_with_precedence_roots_and_annotations()
    {
        const string text = "(1,746.62 [close_usd] - 1,369.04) / 1,369.04 × 100 + 2^3 - √16";
        var operands = new List<NumberToken>();
        Assert.True(Expression.TryEvaluate(text, 0, text.Length, operands, out var v, out var stop));
        Assert.Equal((1746.62 - 1369.04) / 1369.04 * 100 + 8 - 4, v, 9);
        Assert.Equal(text.Length, stop);
        Assert.Equal(7, operands.Count);
    }

    [Fact]
    public void Repeated_sentences_are_kept_once_and_counted()
    {
        var doc = Document.Parse(string.Concat(Enumerable.Repeat("ETH closed at $1,746.62 [close_usd] today.\n", 5)));
        Assert.Single(doc.Sentences);
        Assert.Equal(4, doc.DuplicateSentences);
    }
}
