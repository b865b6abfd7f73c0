using Cortex1.Evaluation.Forecasts;

namespace Cortex1.Evaluation.Tests;

/// <summary>Hand-written answers whose forecasts are known: every value below is read off the text by eye.</summary>
public class ForecastExtractionTests
{
    private static Forecast Single(string answer, string asset = "ethereum") => Assert.Single(ForecastExtractor.Extract(answer, asset));

    [Fact]
    public void Reads_the_offline_analysts_forecast_section()
    {
        const string answer = """
            ## Summary
            Ethereum (ETH) closed the window at $3,120.50 [close_usd] on 2021-05-01, having gained 4.20% [price_growth_7d] in the last week. The bootstrap puts the 7-day 90% range at $2,950.00 to $3,400.00, so position sizing should stay moderate.
            ## Forecast
            - 7-day price: 90% CI: [$2,950.00, $3,400.00], point estimate $3,210.00, from 2,000 bootstrap resamples of the window's 29 daily log returns.
            - 30-day return: 90% CI: [-12.40%, 18.75%], point estimate 2.10%.
            - The intervals are wide because daily volatility is 4.10%; the median path implies 2.87% over 7 days.
            ## Recommendations
            - Accumulate ETH: allocate 5% of the portfolio, target $3,500.00 over 30 days; stop-loss at $2,900.00.
            """;
        var f = ForecastExtractor.Extract(answer, "ethereum");
        Assert.Equal(3, f.Count);   // the summary repeats the 7-day interval: kept once, with the point the forecast adds
        Assert.Equal(new Forecast("ethereum", 7, ForecastUnit.Price, 3210, 2950, 3400, 0.90, null, f[0].Text), f[0]);
        Assert.Equal(30, f[1].HorizonDays);
        Assert.Equal(ForecastUnit.Return, f[1].Unit);
        Assert.Equal((-0.124, 0.1875, 0.021, 0.90), (f[1].Lower!.Value, f[1].Upper!.Value, f[1].Point!.Value, f[1].Level!.Value), Tuple4Comparer);
        Assert.Equal((7, ForecastUnit.Return, 0.0287), (f[2].HorizonDays, f[2].Unit, Math.Round(f[2].Point!.Value, 6)));
        Assert.Null(f[2].Lower);
    }

    [Fact]
    public void Reads_dash_ranges_k_suffixes_and_words_for_horizons_outside_a_forecast_section()
    {
        var f = Single("## Summary\nWe expect ETH to reach $3.2k within two weeks, with a 90% interval $2,950–$3,400.");
        Assert.Equal(("ethereum", 14, ForecastUnit.Price), (f.Asset, f.HorizonDays, f.Unit));
        Assert.Equal((3200.0, 2950.0, 3400.0, 0.90), (f.Point!.Value, f.Lower!.Value, f.Upper!.Value, f.Level!.Value));
    }

    [Fact]
    public void Reads_a_level_after_its_bounds_and_names_the_asset()
    {
        // $48.5k = 48,500; "1 month" = 30 days; the sentence names Bitcoin, so not the default asset.
        var f = Single("## Outlook\nBitcoin should trade around $48.5k in 1 month (95% confidence: $41k to $56k).");
        Assert.Equal(new Forecast("bitcoin", 30, ForecastUnit.Price, 48_500, 41_000, 56_000, 0.95, null, f.Text), f);
    }

    [Fact]
    public void Percent_intervals_are_return_forecasts()
    {
        var f = Single("## Forecast\n- 30-day return: 80% CI: [-4.0%, 12.5%], point estimate 3.1%.");
        Assert.Equal((ForecastUnit.Return, -0.04, 0.125, 0.031, 0.80), (f.Unit, f.Lower!.Value, f.Upper!.Value, f.Point!.Value, f.Level!.Value), Tuple5Comparer);
    }

    [Fact]
    public void A_fall_in_words_is_a_negative_return_and_a_direction()
    {
        var f = Single("## Outlook\nBTC is likely to fall 5% over the next week.");
        Assert.Equal(("bitcoin", 7, ForecastUnit.Return, Direction.Down), (f.Asset, f.HorizonDays, f.Unit, f.Stated!.Value));
        Assert.Equal(-0.05, f.Point!.Value, 12);
    }

    [Fact]
    public void A_direction_alone_is_a_forecast_without_numbers()
    {
        var f = Single("## Forecast\nWe expect SOL to rise over the next 2 weeks.");
        Assert.Equal(("solana", 14, Direction.Up), (f.Asset, f.HorizonDays, f.Stated!.Value));
        Assert.Null(f.Point);
        Assert.False(f.HasInterval);
    }

    [Fact]
    public void Past_moves_trade_targets_and_sentences_without_a_horizon_are_not_forecasts()
    {
        const string answer = """
            ## Summary
            Over the past 7 days ETH rose 5.2% to $3,100, within a 90% range of $2,900 to $3,150 last week.
            ## Forecast
            Price should keep its momentum, with support at $2,900.
            ## Recommendations
            - Buy ETH, forecast target $3,500 over 30 days; stop-loss $2,800.
            ## Risks
            A 30-day 90% range reaches -25.00% on the downside.
            """;
        Assert.Empty(ForecastExtractor.Extract(answer, "ethereum"));
    }

    [Fact]
    public void The_english_word_near_is_not_the_NEAR_asset()
    {
        var f = Single("## Forecast\nIn 7 days the price should sit near $3,000, point estimate $3,050.");
        Assert.Equal(("ethereum", 3050.0), (f.Asset, f.Point!.Value));
        Assert.Equal("near", Single("## Forecast\nNEAR 7-day forecast: $5.25.").Asset);
    }

    [Theory]
    [InlineData("in 7 days", 7)]
    [InlineData("7-day", 7)]
    [InlineData("over 7d", 7)]
    [InlineData("over the next week", 7)]
    [InlineData("3 weeks", 21)]
    [InlineData("a 1-month view", 30)]
    [InlineData("in 24 hours", 1)]
    [InlineData("by tomorrow", 1)]
    public void Horizons_in_days(string text, int days) => Assert.Equal(days, Horizons.Find(text)[0].Days);

    private static readonly IEqualityComparer<(double, double, double, double)> Tuple4Comparer = new Near4();
    private static readonly IEqualityComparer<(ForecastUnit, double, double, double, double)> Tuple5Comparer = new Near5();

    private sealed class Near4 : IEqualityComparer<(double, double, double, double)>
    {
        public bool Equals((double, double, double, double) a, (double, double, double, double) b) =>
            Close(a.Item1, b.Item1) && Close(a.Item2, b.Item2) && Close(a.Item3, b.Item3) && Close(a.Item4, b.Item4);
        public int GetHashCode((double, double, double, double) obj) => 0;
    }

    private sealed class Near5 : IEqualityComparer<(ForecastUnit, double, double, double, double)>
    {
        public bool Equals((ForecastUnit, double, double, double, double) a, (ForecastUnit, double, double, double, double) b) =>
            a.Item1 == b.Item1 && Close(a.Item2, b.Item2) && Close(a.Item3, b.Item3) && Close(a.Item4, b.Item4) && Close(a.Item5, b.Item5);
        public int GetHashCode((ForecastUnit, double, double, double, double) obj) => 0;
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) < 1e-9;
}
