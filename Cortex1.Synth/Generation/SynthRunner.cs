using System.Text;
using Cortex1.Domain;
using Cortex1.Data.Jobs;
using Cortex1.Data.Market;
using Cortex1.Data.Storage;
using Cortex1.Rewards;
using Cortex1.Synth.Prompts;
using Cortex1.Synth.Teachers;
using Microsoft.Extensions.Options;

namespace Cortex1.Synth.Generation;

/// <summary>Where a run is: tasks done of planned, how many passed the gate, and a line for people.</summary>
public sealed record SynthProgress(int Done, int Total, int Accepted, string Message)
{
    public double Fraction => Total == 0 ? 0 : 0.95 * Done / Total;
    public override string ToString() => $"[{Done}/{Total}, {Accepted} accepted] {Message}";
}

public delegate Task SynthProgressHandler(SynthProgress progress, CancellationToken ct);

/// <summary>
/// Runs one generation run to the end: plan tasks from the stored market data, ask the teacher for
/// each task not stored yet, score every answer with the reward system and store it (accepted or
/// not) at once, then select the balanced, de-duplicated, time-split data set and publish its files
/// and catalogue row. Safe to run again on the same run after a crash: it continues where it stopped.
/// </summary>
public sealed partial class SynthRunner(
    MarketStore market, SynthStore store, BlobStore blobs, TeacherFactory teachers, RewardSystem rewards,
    IOptions<SynthOptions> options, ILogger<SynthRunner> logger)
{
    public async Task<DatasetManifest> RunAsync(long runId, SynthProgressHandler? progress, CancellationToken ct)
    {
        var run = await store.GetRunAsync(runId, ct) ?? throw new ArgumentException($"No synth run {runId}.");
        try
        {
            var manifest = await GenerateAsync(run, progress, ct);
            await store.MarkFinishedAsync(run.Id, null, ct);
            return manifest;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await store.MarkFinishedAsync(run.Id, e.Message, CancellationToken.None);
            throw;
        }
    }

    private async Task<DatasetManifest> GenerateAsync(SynthRun run, SynthProgressHandler? progress, CancellationToken ct)
    {
        var request = run.Request;
        var gate = request.QualityGate ?? options.Value.QualityGate;
        var target = DatasetSizes.Target(request.Size);
        var evalTarget = (int)Math.Round(target * DatasetSizes.EvalFraction);
        var trainTarget = target - evalTarget;
        var over = Math.Max(1, options.Value.Overgenerate);

        var history = await MarketHistory.LoadAsync(market, request.ChainList, ct);
        var plan = WindowPlanner.Build(history, (int)Math.Ceiling(trainTarget * over), (int)Math.Ceiling(evalTarget * over), request.Seed,
            PromptProfile.Get(request.ProfileName), HistoryVariant.First(request.Variants));
        await store.MarkRunningAsync(run.Id, plan.Tasks.Count, ct);

        var teacher = teachers.Create(request.Teacher);
        using var owned = teacher as IDisposable;
        var existing = await store.ExistingKeysAsync(run.Id, ct);
        var todo = plan.Tasks.Where(t => !existing.Contains(t.Key)).ToList();
        LogPlanned(logger, run.Id, plan.Tasks.Count, existing.Count, teacher.Name, plan.Cut);

        int done = plan.Tasks.Count - todo.Count, accepted = 0, skipped = 0, failed = 0;
        var maxFailedShare = Math.Clamp(options.Value.MaxFailedTaskShare, 0, 1);
        var maxFailed = (int)Math.Floor(maxFailedShare * todo.Count);
        var lastReport = DateTime.MinValue;
        var reportLock = new SemaphoreSlim(1, 1);
        await Report(new SynthProgress(done, plan.Tasks.Count, accepted, $"{todo.Count} tasks to generate with {teacher.Name}"));

        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = teacher.MaxConcurrency, CancellationToken = ct }, async (task, token) =>
        {
            var prompt = PromptBuilder.Build(task);
            TeacherAnswer answer;
            try
            {
                answer = await teacher.AnswerAsync(task, prompt, token);
            }
            catch (TeacherEmptyAnswerException e)
            {
                Interlocked.Increment(ref skipped);
                LogSkipped(logger, task.Key, teacher.Name, e.Message);
                return;
            }
            catch (Exception e) when (e is not PermanentJobException && !token.IsCancellationRequested)
            {
                // One bad reply (malformed JSON, a timeout after the retries) fails its task, not the run: it is not
                // stored, so running the same version again asks for it again. A refusal no retry can fix (a wrong
                // key: PermanentJobException) still stops the run at once.
                var f = Interlocked.Increment(ref failed);
                LogTaskFailed(logger, task.Key, teacher.Name, Describe(e));
                if (f > maxFailed)
                    throw new PermanentJobException(
                        $"Stopped: {f} of {todo.Count} tasks failed with teacher {teacher.Name}, more than the {maxFailedShare:P0} allowed " +
                        $"(Synth:MaxFailedTaskShare). Last failure, task {task.Key}: {Describe(e)}");
                return;
            }
            var breakdown = rewards.Score(answer.Answer, new RewardContext(task.Market, task.Kind));
            var example = ToExample(task, teacher.Name, prompt, answer, breakdown, gate);
            var ok = breakdown.Total >= gate;
            await store.InsertExampleAsync(run.Id, task.Split, example, ok, token);
            var d = Interlocked.Increment(ref done);
            var a = ok ? Interlocked.Increment(ref accepted) : Volatile.Read(ref accepted);
            await reportLock.WaitAsync(token);
            try
            {
                if (DateTime.UtcNow - lastReport >= options.Value.ProgressInterval || d == plan.Tasks.Count)
                {
                    lastReport = DateTime.UtcNow;
                    await Report(new SynthProgress(d, plan.Tasks.Count, a, $"{task.Key}: reward {breakdown.Total:0.000}"));
                }
            }
            finally
            {
                reportLock.Release();
            }
        });

        if (skipped + failed > 0) LogIncomplete(logger, run.Id, skipped, failed, teacher.Name);
        var manifest = await PublishAsync(run, teacher.Name, gate, trainTarget, evalTarget, plan, skipped, failed, ct);
        await Report(new SynthProgress(plan.Tasks.Count, plan.Tasks.Count, manifest.Generated - manifest.Rejected,
            $"published {manifest.Train.Count} train + {manifest.Eval.Count} eval examples"));
        return manifest;

        Task Report(SynthProgress p) => progress?.Invoke(p, ct) ?? Task.CompletedTask;
    }

    private static TrainingExample ToExample(SynthTask task, string teacher, string prompt, TeacherAnswer answer, RewardBreakdown b, double gate) =>
        new(task.Key, task.Kind, task.Condition, task.Chain, task.Start, task.End, teacher, prompt, answer.Reasoning, answer.Answer,
            task.Market,
            new ExampleReward(b.Total, b.Penalty, b.PenaltyExplanation, b.Components.ToDictionary(c => c.Key, c => Math.Round(c.Value.Score, 4))),
            new Dictionary<string, string>
            {
                ["split"] = SynthStore.SplitText(task.Split),
                ["quality_gate"] = gate.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["chains"] = string.Join(",", task.Market.Series.Select(s => s.Chain)),
                ["reasoning_chars"] = answer.Reasoning.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

    /// <summary>Selects the data set from the stored rows and writes train.jsonl, eval.jsonl, manifest.json and the catalogue row.</summary>
    private async Task<DatasetManifest> PublishAsync(SynthRun run, string teacher, double gate, int trainTarget, int evalTarget,
        WindowPlanner.Plan plan, int skipped, int failed, CancellationToken ct)
    {
        var rows = await store.ListExamplesAsync(run.Id, ct);
        var selection = DatasetSelection.From(rows, trainTarget, evalTarget);
        // Nothing (or too little) to train on is a failed run, not an empty data set: nothing is published or catalogued,
        // and the run stays open to be run again.
        var kept = selection.Train.Count + selection.Eval.Count;
        var minimum = Math.Max(1, options.Value.MinExamples);
        if (kept < minimum)
            throw new PermanentJobException(
                $"The run produced {kept} usable examples, fewer than the {minimum} needed (Synth:MinExamples): of {plan.Tasks.Count} tasks, " +
                $"{rows.Count} answered ({selection.Rejected} below the quality gate {gate:0.00}, {selection.Duplicates} duplicates), " +
                $"{skipped} skipped for empty answers and {failed} failed with teacher {teacher}. Nothing was published; " +
                "run the same version again to retry the skipped and failed tasks.");
        var prefix = DatasetPaths.Folder(run.Dataset, run.Version);

        async Task<DatasetSplit> Write(string file, IReadOnlyList<StoredExample> picked)
        {
            var examples = await store.ReadExamplesAsync(run.Id, [.. picked.Select(p => p.Key)], ct);
            var text = new StringBuilder();
            foreach (var e in examples) text.Append(DatasetJson.ToLine(e)).Append('\n');
            await blobs.UploadTextAsync(BlobContainers.Datasets, DatasetPaths.File(run.Dataset, run.Version, file), text.ToString(), ct);
            return new DatasetSplit(file, picked.Count,
                picked.Count == 0 ? null : picked.Min(p => p.WindowStart), picked.Count == 0 ? null : picked.Max(p => p.WindowEnd),
                DatasetSelection.CountBy(picked, p => p.Condition), DatasetSelection.CountBy(picked, p => p.Kind));
        }

        var train = await Write(DatasetPaths.TrainFile, selection.Train);
        var eval = await Write(DatasetPaths.EvalFile, selection.Eval);
        var manifest = new DatasetManifest(run.Dataset, run.Version, teacher, gate, DateTimeOffset.UtcNow, train, eval,
            rows.Count, selection.Rejected, selection.Duplicates,
            RewardStats.Of(await store.RewardsAsync(run.Id, accepted: true, ct)),
            RewardStats.Of(await store.RewardsAsync(run.Id, accepted: false, ct)),
            new Dictionary<string, string>
            {
                ["run_id"] = run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["size"] = run.Request.Size,
                ["target"] = (trainTarget + evalTarget).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["planned"] = plan.Tasks.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["seed"] = run.Request.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["split_cut"] = plan.Cut.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                ["window_days"] = PromptProfile.Get(run.Request.ProfileName).WindowDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["prompt_profile"] = run.Request.ProfileName,
                ["chains"] = string.Join(",", run.Request.ChainList),
                ["history_variants"] = run.Request.Variants.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        await blobs.UploadTextAsync(BlobContainers.Datasets, DatasetPaths.File(run.Dataset, run.Version, DatasetPaths.ManifestFile),
            System.Text.Json.JsonSerializer.Serialize(manifest, new System.Text.Json.JsonSerializerOptions(DatasetJson.Options) { WriteIndented = true }), ct);
        await store.CatalogueAsync(new DatasetEntry(run.Dataset, run.Version, run.Id, teacher, gate, train.Count, eval.Count,
            $"{BlobContainers.Datasets}/{prefix}", DateTimeOffset.UtcNow), manifest, ct);
        return manifest;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Synth run {RunId}: {Planned} tasks planned, {Stored} already stored, teacher {Teacher}, train/eval cut {Cut}")]
    private static partial void LogPlanned(ILogger logger, long runId, int planned, int stored, string teacher, DateOnly cut);

    /// <summary>The exception's message and its causes' in one line, without a stack trace.</summary>
    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            if (parts.Count == 0 || !parts[^1].Contains(x.Message, StringComparison.Ordinal)) parts.Add($"{x.GetType().Name}: {x.Message}");
        return string.Join(" <- ", parts);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped task {Key} (teacher {Teacher}): {Why}")]
    private static partial void LogSkipped(ILogger logger, string key, string teacher, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {Key} failed (teacher {Teacher}): {Why}. It is left for a rerun of the same version.")]
    private static partial void LogTaskFailed(ILogger logger, string key, string teacher, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Synth run {RunId}: {Skipped} tasks skipped and {Failed} failed with teacher {Teacher}; run the same version again to retry them")]
    private static partial void LogIncomplete(ILogger logger, long runId, int skipped, int failed, string teacher);
}
