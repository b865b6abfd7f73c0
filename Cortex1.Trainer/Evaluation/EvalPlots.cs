using Cortex1.Evaluation;
using Cortex1.Evaluation.Scoring;
using Cortex1.Rewards;
using ScottPlot;
using B = Cortex1.Evaluation.Baselines.Baselines;

namespace Cortex1.Trainer.Evaluation;

/// <summary>The report's PNG plots, drawn with ScottPlot: each a function of the summary alone.</summary>
public static class EvalPlots
{
    private const int Width = 900, Height = 500;

    /// <summary>Mean score of each reward component and of the composite, in [0, 1].</summary>
    public static byte[] RewardComponents(EvalSummary s, string title)
    {
        var plot = new Plot();
        var names = Cortex1.Rewards.RewardComponents.All.Append("total").ToArray();
        var values = Cortex1.Rewards.RewardComponents.All.Select(c => s.Components[c]).Append(s.Reward).ToArray();
        var bars = values.Select((v, i) => new Bar { Position = i, Value = double.IsNaN(v) ? 0 : v, FillColor = i == values.Length - 1 ? Colors.C1 : Colors.C0 }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, names.Length).Select(i => (double)i)], [.. names.Select(n => n.Replace('_', '\n'))]);
        plot.Axes.SetLimitsY(0, 1);
        plot.Title($"Reward per component — {title}");
        plot.YLabel("mean score");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>MAPE of the model's point forecasts per horizon, beside persistence and drift on the same forecasts.</summary>
    public static byte[] ErrorByHorizon(EvalSummary s, string title)
    {
        var plot = new Plot();
        var series = new (string Name, ForecastMetrics M, Color C)[]
        {
            ("model", s.Model, Colors.C0), (B.Persistence, s.Baselines[B.Persistence], Colors.C1), (B.Drift, s.Baselines[B.Drift], Colors.C2),
        };
        var horizons = series.SelectMany(x => x.M.Horizons.Where(h => h.Count > 0).Select(h => h.Days)).Distinct().Order().ToArray();
        var bars = new List<Bar>();
        for (int i = 0; i < horizons.Length; i++)
            for (int k = 0; k < series.Length; k++)
                if (series[k].M.Horizons.FirstOrDefault(h => h.Days == horizons[i]) is { Count: > 0 } e)
                    bars.Add(new Bar { Position = i * (series.Length + 1) + k, Value = e.Mape * 100, FillColor = series[k].C });
        plot.Add.Bars(bars);
        foreach (var (name, _, c) in series) plot.Legend.ManualItems.Add(new LegendItem { LabelText = name, FillColor = c });
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Bottom.SetTicks([.. horizons.Select((_, i) => (double)(i * (series.Length + 1) + 1))], [.. horizons.Select(h => $"{h} days")]);
        plot.Axes.Margins(bottom: 0);
        plot.Title($"Forecast error by horizon — {title}");
        plot.YLabel("MAPE (%)");
        if (bars.Count == 0) plot.Add.Text("no point forecasts to score", 0, 0);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Stated interval level against the share of outcomes inside: on the diagonal is calibrated, below it overconfident.</summary>
    public static byte[] Calibration(EvalSummary s, string title)
    {
        var plot = new Plot();
        var diagonal = plot.Add.Line(0.5, 0.5, 1, 1);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.Color = Colors.Gray;
        diagonal.LegendText = "calibrated";
        void Points(IReadOnlyList<LevelCoverage> levels, string name, Color color)
        {
            var ok = levels.Where(l => l.Count > 0).ToList();
            if (ok.Count == 0) return;
            var sc = plot.Add.Scatter(ok.Select(l => l.Level).ToArray(), ok.Select(l => l.Coverage).ToArray(), color);
            sc.LineWidth = 0;
            sc.MarkerSize = 12;
            sc.LegendText = $"{name} ({ok.Sum(l => l.Count)} intervals)";
        }
        Points(s.Model.Levels, "model", Colors.C0);
        Points(s.Baselines[B.RandomWalk].Levels, "random walk, same intervals", Colors.C1);
        Points(s.StandardBaselines[B.RandomWalk].Levels, "random walk, every prompt", Colors.C2);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.SetLimits(0.45, 1.02, 0, 1.02);
        plot.Title($"Calibration — {title}");
        plot.XLabel("stated level");
        plot.YLabel("observed coverage");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>The mean trade's equity, day by day after the window, against buy-and-hold over the same days.</summary>
    public static byte[] Equity(EvalSummary s, string title, double costBps)
    {
        var plot = new Plot();
        void Path(IReadOnlyList<double> path, string name, Color color)
        {
            if (path.Count == 0) return;
            var line = plot.Add.Scatter(Enumerable.Range(0, path.Count).Select(i => (double)i).ToArray(), path.ToArray(), color);
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = name;
        }
        Path(s.Strategy.MeanPath, $"recommendations (Sharpe {EvalSummary.F(s.Strategy.Sharpe)})", Colors.C0);
        Path(s.BuyAndHold.MeanPath, $"buy-and-hold (Sharpe {EvalSummary.F(s.BuyAndHold.Sharpe)})", Colors.C1);
        plot.ShowLegend(Alignment.LowerRight);
        plot.Title($"Equity of the mean trade, {costBps:0.#} bps a side — {title}");
        plot.XLabel("days after the window");
        plot.YLabel("equity (1 = entry)");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
