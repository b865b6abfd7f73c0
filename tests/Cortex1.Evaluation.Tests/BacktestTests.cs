using Cortex1.Evaluation.Backtest;

namespace Cortex1.Evaluation.Tests;

public class BacktestTests
{
    private const string Bullish = """
        ## Recommendations
        - Accumulate ETH: allocate 5% of the portfolio in two tranches at $3,120.50 and $3,080.00, target $3,400.00 over 30 days; stop-loss at $2,920.00 (-6.42%). Risk: a close below the 7-day average of $3,080.00 invalidates the trend.
        - Hold existing ETH exposure at 10% of the portfolio, target $3,210.00 within 7 days; stop-loss $2,920.00. Risk: volatility of 4.10% per day can trigger the stop on noise.
        - Hedge 25% of the ETH position with a put spread at $2,950.00 for 30 days if daily volatility stays above 4.10%; this caps the downside at about 6.42%. Risk: the premium is lost if price stays in range.
        """;

    private const string Bearish = """
        ## Recommendations
        - Reduce ETH exposure to 3% of the portfolio, selling into strength near $3,400.00 over the next 7 days; stop-loss on the remaining position at $2,920.00 (-6.42%). Risk: a sharp rebound leaves the reduced position behind the market.
        - Wait for a close back above the 7-day average of $3,080.00 before adding; then enter 2% of the portfolio with target $3,400.00 over 30 days and stop-loss $2,920.00. Risk: waiting can miss the first part of a recovery.
        - Hedge 25% of the ETH position with a put spread at $2,950.00 for 30 days if daily volatility stays above 4.10%; this caps the downside at about 6.42%. Risk: the premium is lost if price stays in range.
        """;

    [Fact]
    public void Parses_actions_sizes_stops_targets_and_horizons()
    {
        var r = RecommendationParser.Parse(Bullish, "ethereum");
        Assert.Equal(3, r.Count);
        Assert.Equal((TradeAction.Open, 0.05, SizeMode.Add, 2920.0, 3400.0, 30), (r[0].Action, r[0].Size!.Value, r[0].Mode, r[0].Stop!.Value, r[0].Target!.Value, r[0].HorizonDays!.Value));
        Assert.Equal((TradeAction.Hold, 0.10, 2920.0, 3210.0, 7), (r[1].Action, r[1].Size!.Value, r[1].Stop!.Value, r[1].Target!.Value, r[1].HorizonDays!.Value));
        Assert.Equal((TradeAction.Hedge, 0.25, 30), (r[2].Action, r[2].Size!.Value, r[2].HorizonDays!.Value));
        Assert.All(r, x => Assert.Equal("ethereum", x.Asset));

        var b = RecommendationParser.Parse(Bearish, "ethereum");
        Assert.Equal((TradeAction.Reduce, 0.03, SizeMode.SetTo, 2920.0), (b[0].Action, b[0].Size!.Value, b[0].Mode, b[0].Stop!.Value));
        Assert.Null(b[0].Target);   // "selling into strength near $3,400" is an exit price, not a stated target
        Assert.Equal(TradeAction.Wait, b[1].Action);
    }

    [Fact]
    public void Recommendations_add_up_to_one_position()
    {
        // (5 % + 10 %) · (1 − 25 % hedged) = 11.25 %; exits from the first line that takes a position; longest horizon 30.
        Assert.Equal(new TradePlan(0.1125, 2920, 3400, 30), Round(TradePlan.From(RecommendationParser.Parse(Bullish, "ethereum"), "ethereum", 3120.5)));
        // reduce to 3 %, wait (nothing), hedge 25 %: 2.25 %
        Assert.Equal(new TradePlan(0.0225, 2920, null, 30), Round(TradePlan.From(RecommendationParser.Parse(Bearish, "ethereum"), "ethereum", 3120.5)));
        // percent stop and target are taken from the entry: 8 % below and 12 % above 100
        var pct = RecommendationParser.Parse("## Recommendations\n- Buy BTC: 20% of the portfolio, stop-loss 8% below entry, target 12% over 14 days.", "bitcoin");
        Assert.Equal(new TradePlan(0.20, 92, 112, 14), Round(TradePlan.From(pct, "bitcoin", 100)));
        // a short subtracts, a sell with no size goes flat
        var shortThenExit = RecommendationParser.Parse("## Recommendations\n- Short ETH 10% of the portfolio over 7 days.\n- Exit everything if the trend turns.", "ethereum");
        Assert.Equal(0, TradePlan.From(shortThenExit, "ethereum", 100).Exposure);
        Assert.Equal(-0.10, TradePlan.From(shortThenExit.Take(1), "ethereum", 100).Exposure, 12);
    }

    private static TradePlan Round(TradePlan p) => p with
    {
        Exposure = Math.Round(p.Exposure, 10), Stop = p.Stop is { } s ? Math.Round(s, 6) : null, Target = p.Target is { } t ? Math.Round(t, 6) : null,
    };

    [Fact]
    public void A_long_trade_stops_out_on_a_close_below_the_stop_and_pays_costs_both_ways()
    {
        // Half the capital long at 100, stop 90, target 120, 5 days, 10 bps a side (0.05 % of capital for a 50 % position):
        // day 1: 1 · (1 − 0.0005) · (1 + 0.5 · 0.10)           = 1.049475
        // day 2: · (1 + 0.5 · (95/110 − 1)) = · 0.931818      = 0.977920
        // day 3: · (1 + 0.5 · (88/95 − 1))  = · 0.963158      = 0.941891; 88 ≤ 90 → stop, · (1 − 0.0005) = 0.941420
        // days 4–5 in cash.
        var closes = new double[] { 100, 110, 95, 88, 100, 130 };
        var t = Backtester.Run(new TradePlan(0.5, 90, 120, 5), closes, costBps: 10);
        Assert.Equal([1, 1.049475, 0.9779198864, 0.9414203133, 0.9414203133, 0.9414203133], t.Equity.Select(v => Math.Round(v, 10)));
        Assert.Equal((3, ExitReason.Stop), (t.ExitDay, t.Reason));
        Assert.Equal(-0.0585796867, t.TotalReturn, 9);
        Assert.Equal(0.1029607057, t.MaxDrawdown, 9);   // (1.049475 − 0.941420) / 1.049475
        Assert.Equal([0.049475, -0.0681818182, -0.0373236842, 0, 0], t.DailyReturns.Select(v => Math.Round(v, 10)));

        // Buy-and-hold over the same days: 0.999 · 1.3 (130 / 100) · 0.999 = 1.2974013
        var hold = Backtester.Run(TradePlan.BuyAndHold(5), closes, 10);
        Assert.Equal(0.2974013, hold.TotalReturn, 9);
        Assert.Equal(ExitReason.Horizon, hold.Reason);
    }

    [Fact]
    public void A_short_takes_profit_at_its_target_and_the_horizon_is_cut_to_the_data()
    {
        // 20 % short at 100, target 90: day 1 · 0.9998 · (1 + 0.2 · 0.05) = 1.009798; day 2 · (1 + 0.2 · (1 − 89/95)) = 1.022551; 89 ≤ 90 → exit · 0.9998
        var t = Backtester.Run(new TradePlan(-0.2, null, 90, 10), [100, 95, 89], 10);
        Assert.Equal((2, ExitReason.Target), (t.ExitDay, t.Reason));
        Assert.Equal(0.0223488325, t.TotalReturn, 9);
        Assert.Equal(3, t.Equity.Count);
    }

    [Fact]
    public void Flat_plans_earn_nothing_and_pay_nothing()
    {
        var t = Backtester.Run(new TradePlan(0, null, null, 3), [100, 120, 80, 100], 25);
        Assert.Equal([1.0, 1, 1, 1], t.Equity);
        Assert.Equal(ExitReason.Flat, t.Reason);
        Assert.True(double.IsNaN(Performance.Sharpe(t.DailyReturns)));
    }

    [Fact]
    public void Sharpe_annualises_daily_returns_with_root_365_and_drawdown_is_from_the_running_peak()
    {
        // mean 0.0125, sample sd √(8.75e−4 / 3) = 0.0170783; 0.0125 / 0.0170783 · √365 = 13.983409
        Assert.Equal(13.983408536, Performance.Sharpe([0.01, 0.03, -0.01, 0.02]), 8);
        Assert.Equal(0.25, Performance.MaxDrawdown([1, 1.2, 0.9, 1.5, 1.2]), 12);   // 1.2 → 0.9, deeper than 1.5 → 1.2
        Assert.Equal([1, 1.1, 1.05], Performance.MeanPath([[1, 1.2, 1.1], [1, 1.0]]));   // the short path stays at 1.0
    }
}
