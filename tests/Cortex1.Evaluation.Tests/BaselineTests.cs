using Cortex1.Evaluation.Baselines;
using Cortex1.Evaluation.Forecasts;
using B = Cortex1.Evaluation.Baselines.Baselines;

namespace Cortex1.Evaluation.Tests;

public class BaselineTests
{
    // Daily simple returns +10 %, −10 %, +10 %; log returns ln 1.1 = 0.0953102, ln 0.9 = −0.1053605, ln 1.1.
    private static readonly double[] Window = [100, 110, 99, 108.9];

    [Theory]
    [InlineData(0.975, 1.959963985)]
    [InlineData(0.95, 1.644853627)]
    [InlineData(0.5, 0)]
    [InlineData(0.3, -0.524400513)]
    [InlineData(0.01, -2.326347874)]
    [InlineData(0.999, 3.090232306)]
    public void Normal_quantiles_match_the_tables(double p, double z) => Assert.Equal(z, NormalQuantile.Of(p), 1e-8);

    [Fact]
    public void Persistence_keeps_the_last_close_and_says_the_last_move_continues()
    {
        var f = B.PersistenceOf(Window, "ethereum", 2);
        Assert.Equal(108.9, f.Point);
        Assert.Equal(Direction.Down, f.Stated);                          // 108.9 < 110, two days earlier
        Assert.Equal(Direction.Up, B.PersistenceOf(Window, "ethereum", 10).Stated);   // longer than the window: from its first close, 100
    }

    [Fact]
    public void Drift_compounds_the_mean_daily_return()
    {
        // μ = (0.1 − 0.1 + 0.1) / 3 = 0.033333; 108.9 · 1.033333² = 116.281
        Assert.Equal(0.1 / 3, B.MeanDailyReturn(Window), 12);
        Assert.Equal(116.281, B.DriftOf(Window, "ethereum", 2).Point!.Value, 9);
    }

    [Fact]
    public void Random_walk_interval_scales_the_window_volatility_by_root_h()
    {
        // mean log return 0.0284200; deviations 0.0668902, −0.1337805, 0.0668902; σ = √(0.0268458 / 2) = 0.1158573
        Assert.Equal(0.1158573, B.DailyLogVolatility(Window), 1e-7);
        // 90 %: z = 1.6448536; h = 4: half-width 1.6448536 · 0.1158573 · 2 = 0.381136 in log price
        var f = B.RandomWalkOf(Window, "ethereum", 4, 0.90);
        Assert.Equal(74.387915, f.Lower!.Value, 1e-5);   // 108.9 · e^−0.381136
        Assert.Equal(159.423880, f.Upper!.Value, 1e-5);  // 108.9 · e^+0.381136
        Assert.Equal(0.90, f.Level);
        Assert.Null(f.Point);
    }
}
