using Cortex1.Data.Storage;
using ScottPlot;

namespace Cortex1.Trainer.Runs;

/// <summary>
/// A run's curves as PNGs in <c>reports/training/{name}/</c>: loss per step (SFT then GRPO), GRPO reward overall and per
/// component, KL, and the held-out reward at each evaluation with its standard error. Steps are numbered through both
/// phases (GRPO step s is drawn at SFT steps + s + 1), so one x axis tells the whole run.
/// </summary>
public static class TrainingReport
{
    public const int Width = 900, Height = 500;

    /// <summary>The PNGs' names, in the order they are written.</summary>
    public static IReadOnlyList<string> Files { get; } = ["loss.png", "reward.png", "kl.png", "eval.png"];

    /// <summary>Writes the report's PNGs to <paramref name="folder"/>.</summary>
    public static void Write(string folder, IReadOnlyList<TrainingStepRow> steps, IReadOnlyList<TrainingEvalRow> evals)
    {
        Directory.CreateDirectory(folder);
        var sftSteps = steps.Count(s => s.Phase == "sft");
        double X(string phase, int step) => phase == "grpo" ? sftSteps + step + 1 : phase == "sft" ? step + 1 : 0;
        var grpo = steps.Where(s => s.Phase == "grpo").ToList();

        Save(Path.Combine(folder, "loss.png"), "Loss per step", "loss", plot =>
        {
            foreach (var phase in new[] { "sft", "grpo" })
                Line(plot, [.. steps.Where(s => s.Phase == phase).Select(s => (X(phase, s.Step), s.Loss))], $"{phase} loss");
        });
        Save(Path.Combine(folder, "reward.png"), "GRPO reward per step (composite and components)", "reward", plot =>
        {
            Line(plot, [.. grpo.Where(s => s.RewardMean is not null).Select(s => (X("grpo", s.Step), s.RewardMean!.Value))], "composite", width: 3);
            foreach (var name in grpo.SelectMany(s => s.RewardComponents?.Keys ?? []).Distinct().Order())
                Line(plot, [.. grpo.Where(s => s.RewardComponents?.ContainsKey(name) == true).Select(s => (X("grpo", s.Step), s.RewardComponents![name]))], name);
        });
        Save(Path.Combine(folder, "kl.png"), "KL to the reference policy per GRPO step", "kl", plot =>
            Line(plot, [.. grpo.Where(s => s.Kl is not null).Select(s => (X("grpo", s.Step), s.Kl!.Value))], "kl"));
        Save(Path.Combine(folder, "eval.png"), "Held-out reward (greedy, eval split) ± standard error", "reward", plot =>
        {
            // An evaluation after k steps of a phase sits where that phase's k-th step is drawn.
            var points = evals.Select(e => (X: e.Phase == "base" ? 0 : X(e.Phase, e.Step - 1), e)).ToList();
            Line(plot, [.. points.Select(p => (p.X, p.e.RewardMean))], "held-out composite", width: 3);
            var bars = plot.Add.ErrorBar([.. points.Select(p => p.X)], [.. points.Select(p => p.e.RewardMean)], [.. points.Select(p => p.e.RewardStdError)]);
            bars.LineWidth = 2;
        });
    }

    /// <summary>Writes the report locally and uploads it under <c>reports/training/{name}/</c>; returns that prefix, or null
    /// when there is nothing to draw.</summary>
    public static async Task<string?> PublishAsync(BlobStore blobs, string name, long jobId, IReadOnlyList<TrainingStepRow> steps,
        IReadOnlyList<TrainingEvalRow> evals, string cacheFolder, CancellationToken ct)
    {
        if (steps.Count == 0) return null;
        var local = Path.Combine(cacheFolder, "reports", $"{jobId}");
        Write(local, steps, evals);
        var prefix = $"training/{name}";
        foreach (var file in Files)
            await blobs.UploadFileAsync(BlobContainers.Reports, $"{prefix}/{file}", Path.Combine(local, file), ct);
        Directory.Delete(local, recursive: true);
        return prefix;
    }

    private static void Line(Plot plot, IReadOnlyList<(double X, double Y)> points, string label, float width = 1.5f)
    {
        if (points.Count == 0) return;
        var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
        line.LegendText = label;
        line.LineWidth = width;
        line.MarkerSize = points.Count <= 30 ? 5 : 0;
    }

    private static void Save(string path, string title, string yLabel, Action<Plot> draw)
    {
        using var plot = new Plot();
        draw(plot);
        plot.Title(title);
        plot.XLabel("step (SFT, then GRPO)");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }
}
