using Cortex1.Evaluation.Forecasts;
using Cortex1.Evaluation.Scoring;

namespace Cortex1.Evaluation.Tests;

public class ScoringTests
{
    private static Forecast Price(double? point, double? lo, double? hi, double? level, Direction? stated = null, int days = 7) =>
        new("ethereum", days, ForecastUnit.Price, point, lo, hi, level, stated, "");

    [Fact]
    public void A_price_forecast_that_misses_its_interval_above()
    {
        // last 100, said 110 in [95, 125] at 90%, it went to 130.
        var s = ScoredForecast.Of(Price(110, 95, 125, 0.90), last: 100, realised: 130);
        Assert.Equal(Direction.Up, s.Predicted);      // 110 > 100
        Assert.True(s.Hit);                            // 130 > 100
        Assert.Equal(20.0 / 130, s.Ape!.Value, 12);    // |110 − 130| / 130 = 0.153846
        Assert.False(s.Covered);                       // 130 > 125
        Assert.Equal(0.30, s.Width!.Value, 12);        // (125 − 95) / 100
        Assert.Equal(1.30, s.Winkler!.Value, 12);      // (30 + 2/0.1 · (130 − 125)) / 100 = 130 / 100
    }

    [Fact]
    public void A_return_forecast_is_scored_in_prices_from_the_last_close()
    {
        // last 200, said −5 % in [−10 %, +2 %] at 80 %: price 190 in [180, 204]; it went to 185.
        var f = new Forecast("ethereum", 30, ForecastUnit.Return, -0.05, -0.10, 0.02, 0.80, null, "");
        var s = ScoredForecast.Of(f, last: 200, realised: 185);
        Assert.Equal(190, s.PointPrice!.Value, 9);
        Assert.Equal((Direction.Down, true, true), (s.Predicted!.Value, s.Hit!.Value, s.Covered!.Value));
        Assert.Equal(5.0 / 185, s.Ape!.Value, 12);     // |190 − 185| / 185 = 0.027027
        Assert.Equal(0.12, s.Width!.Value, 12);        // (204 − 180) / 200
        Assert.Equal(0.12, s.Winkler!.Value, 12);      // inside: the width alone
    }

    [Fact]
    public void Winkler_charges_a_miss_below_by_two_over_alpha()
    {
        Assert.Equal(130, Interval.Winkler(95, 125, 0.90, 90), 9);    // 30 + 20 · (95 − 90)
        Assert.Equal(30 + 40 * 5, Interval.Winkler(95, 125, 0.95, 130), 9);   // 2 / 0.05 = 40
        Assert.Equal(30, Interval.Winkler(95, 125, 0.50, 100), 9);
    }

    [Fact]
    public void Metrics_pool_hits_errors_and_coverage_per_level()
    {
        var scored = new[]
        {
            ScoredForecast.Of(Price(110, 95, 125, 0.90), 100, 130),                                        // hit, APE 0.153846, not covered
            ScoredForecast.Of(new Forecast("ethereum", 30, ForecastUnit.Return, -0.05, -0.10, 0.02, 0.80, null, ""), 200, 185), // hit, APE 0.027027, covered
            ScoredForecast.Of(Price(null, null, null, null, Direction.Down), 100, 105),                     // direction only, missed
        };
        var m = ForecastMetrics.Of(scored);
        Assert.Equal((3, 3, 2, 2), (m.Count, m.Directions, m.Hits, m.Points));
        Assert.Equal(2.0 / 3, m.HitRate, 12);
        Assert.Equal((20.0 / 130 + 5.0 / 185) / 2, m.Mape, 12);   // 0.090437
        Assert.Equal(0.0, m.CoverageAt(0.90));
        Assert.Equal(1.0, m.CoverageAt(0.80));
        Assert.True(double.IsNaN(m.CoverageAt(0.95)));
        var seven = Assert.Single(m.Horizons, h => h.Days == 7);
        Assert.Equal((1, 20.0 / 130, 2, 1), (seven.Count, seven.Mape, seven.Directions, seven.Hits));
    }

    [Fact]
    public void Off_scale_numbers_are_not_usable_price_forecasts()
    {
        Assert.False(ScoredForecast.Usable(Price(1.2e9, null, null, null), 3000));    // a volume, not a price
        Assert.False(ScoredForecast.Usable(Price(3100, 3400, 2900, 0.9), 3000));      // lower above upper
        Assert.False(ScoredForecast.Usable(Price(null, null, null, null), 3000));     // nothing stated
        Assert.True(ScoredForecast.Usable(Price(3100, 2900, 3400, 0.9), 3000));
    }
}
