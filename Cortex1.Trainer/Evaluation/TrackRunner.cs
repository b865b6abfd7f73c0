using Cortex1.Data.Tracking;
using Cortex1.Domain;
using Cortex1.Evaluation.Forecasts;

namespace Cortex1.Trainer.Evaluation;

/// <summary>What tracking did with one chain's latest window: the answer's id (null when the model had one there already) and its forecasts.</summary>
public sealed record TrackedWindow(string Chain, DateOnly WindowEnd, string ExampleId, long? AnswerId, int Stated, int Usable);

/// <summary>One <c>track</c> run: the windows it tracked and how many stored forecasts became scored right after.</summary>
public sealed record TrackOutcome(string Model, IReadOnlyList<TrackedWindow> Windows, int ScoredNow);

/// <summary>
/// Live prediction tracking: the latest window of each chain in a data set's split (Synth builds the prompts; services
/// share data, not code), answered by a served model or taken from a stored evaluation; every usable forecast in the
/// answer is stored with its due date (<see cref="UsableForecast.Due"/>), then whatever is already due is scored.
/// A model answers a window once: a window it has an answer on is skipped, not asked again.
/// </summary>
public sealed class TrackRunner(EvalRunner eval, EvalStore evals, TrackingStore tracking)
{
    /// <summary>The newest window of each chain (on a tie, the first task kind, then the smallest id: the same prompt every time).</summary>
    public static IReadOnlyList<TrainingExample> LatestPerChain(IEnumerable<TrainingExample> examples) =>
        [.. examples.GroupBy(e => e.Chain).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(e => e.WindowEnd).ThenBy(e => e.Kind).ThenBy(e => e.Id, StringComparer.Ordinal).First())];

    /// <summary>Asks <paramref name="source"/> (as <paramref name="model"/>) on each chain's latest window of the split.</summary>
    public async Task<TrackOutcome> AskAsync(string model, IAnswerSource source, string dataset, string version, string split,
        Action<string> progress, CancellationToken ct)
    {
        var latest = LatestPerChain(await eval.ReadSplitAsync(dataset, version, split, ct));
        var windows = new List<TrackedWindow>();
        foreach (var ex in latest)
        {
            if (await tracking.HasAnswerAsync(model, ex.Chain, ex.WindowEnd, ct))
            {
                progress($"{ex.Chain} {ex.WindowEnd:yyyy-MM-dd}: '{model}' already answered this window; not asked again.");
                windows.Add(new TrackedWindow(ex.Chain, ex.WindowEnd, ex.Id, null, 0, 0));
                continue;
            }
            var answer = await source.AnswerAsync(ex, ct);
            windows.Add(await RecordAsync(new TrackedAnswer(model, source.Endpoint, ex.Chain, ex.WindowEnd, ex.Id, "ask", answer), ex, progress, ct));
        }
        return new TrackOutcome(model, windows, await tracking.ScoreDueAsync(ct));
    }

    /// <summary>Tracks the answers a stored evaluation already holds (run id, or a model's latest run) on each chain's latest window.</summary>
    public async Task<TrackOutcome?> FromEvalAsync(string idOrModel, Action<string> progress, CancellationToken ct)
    {
        if (await evals.FindAsync(idOrModel, ct) is not { } run) return null;
        var answers = await evals.AnswersAsync(run.Id, ct);
        var examples = await eval.ReadSplitAsync(run.Request.Dataset, run.Request.Version, run.Request.Split, ct);
        var windows = new List<TrackedWindow>();
        foreach (var ex in LatestPerChain(examples.Where(e => answers.ContainsKey(e.Id))))
        {
            var a = new TrackedAnswer(run.Request.Model, run.Request.Endpoint, ex.Chain, ex.WindowEnd, ex.Id, $"eval:{run.Id}", answers[ex.Id]);
            windows.Add(await RecordAsync(a, ex, progress, ct));
        }
        return new TrackOutcome(run.Request.Model, windows, await tracking.ScoreDueAsync(ct));
    }

    private async Task<TrackedWindow> RecordAsync(TrackedAnswer a, TrainingExample ex, Action<string> progress, CancellationToken ct)
    {
        var (stated, usable) = UsableForecasts.Of(ex, a.Answer);
        var id = await tracking.RecordAsync(a, usable, ct);
        progress(id is null
            ? $"{ex.Chain} {ex.WindowEnd:yyyy-MM-dd}: '{a.Model}' already has an answer on this window; kept the first."
            : $"{ex.Chain} {ex.WindowEnd:yyyy-MM-dd}: {stated.Count} forecast(s) stated, {usable.Count} usable, stored" +
              (usable.Count > 0 ? $", due {string.Join(", ", usable.Select(u => u.Due).Distinct().Order().Select(d => d.ToString("yyyy-MM-dd")))}" : ""));
        return new TrackedWindow(ex.Chain, ex.WindowEnd, ex.Id, id, stated.Count, id is null ? 0 : usable.Count);
    }
}
