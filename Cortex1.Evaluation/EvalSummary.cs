using System.Globalization;
using Cortex1.Evaluation.Backtest;
using Cortex1.Evaluation.Scoring;

namespace Cortex1.Evaluation;

/// <summary>Backtest totals of one strategy over every answer: mean trade return, drawdown of the mean path, pooled Sharpe.</summary>
public sealed record BacktestSummary(int Trades, double MeanReturn, double MaxDrawdown, double WorstDrawdown, double Sharpe, IReadOnlyList<double> MeanPath)
{
    public static BacktestSummary Of(IReadOnlyList<TradeResult> trades)
    {
        if (trades.Count == 0) return new BacktestSummary(0, double.NaN, double.NaN, double.NaN, double.NaN, []);
        var path = Performance.MeanPath([.. trades.Select(t => t.Equity)]);
        return new BacktestSummary(trades.Count(t => t.Plan.Exposure != 0), trades.Average(t => t.TotalReturn), Performance.MaxDrawdown(path),
            trades.Max(t => t.MaxDrawdown), Performance.Sharpe([.. trades.SelectMany(t => t.DailyReturns)]), path);
    }
}

/// <summary>
/// The evaluation of one model on one split: mean reward and per component, forecast metrics for the model and for
/// each baseline on the same forecasts (and on the standard grid), the share of answers with no usable forecast, and
/// the backtest against buy-and-hold.
/// </summary>
public sealed record EvalSummary(
    int Answers,
    double Reward,
    IReadOnlyDictionary<string, double> Components,
    int Forecasts,
    int Scored,
    double NoForecastShare,
    ForecastMetrics Model,
    IReadOnlyDictionary<string, ForecastMetrics> Baselines,
    IReadOnlyDictionary<string, ForecastMetrics> StandardBaselines,
    BacktestSummary Strategy,
    BacktestSummary BuyAndHold,
    double CostBps)
{
    /// <summary>
    /// The command's last line: <c>reward=… direction_hit_rate=… persistence_hit_rate=… coverage_90=… mape=…
    /// persistence_mape=… sharpe=… buy_and_hold_sharpe=… answers=… forecasts=…</c>. NaN (nothing to measure) prints as nan; <c>forecasts</c> counts the forecasts scored.
    /// </summary>
    public string KeyLine() => string.Join(' ',
        $"reward={F(Reward)}",
        $"direction_hit_rate={F(Model.HitRate)}",
        $"persistence_hit_rate={F(Baselines[Cortex1.Evaluation.Baselines.Baselines.Persistence].HitRate)}",
        $"coverage_90={F(Model.CoverageAt(0.90))}",
        $"mape={F(Model.Mape)}",
        $"persistence_mape={F(Baselines[Cortex1.Evaluation.Baselines.Baselines.Persistence].Mape)}",
        $"sharpe={F(Strategy.Sharpe)}",
        $"buy_and_hold_sharpe={F(BuyAndHold.Sharpe)}",
        $"answers={Answers}",
        $"forecasts={Scored}");

    public static string F(double x) => double.IsNaN(x) ? "nan" : x.ToString("0.####", CultureInfo.InvariantCulture);
}
