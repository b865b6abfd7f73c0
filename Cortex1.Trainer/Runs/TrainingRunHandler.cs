using System.Runtime.InteropServices;
using Cortex1.Domain;
using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;
using Cortex1.Model;
using Cortex1.Model.Chat;
using Cortex1.Model.Diagnostics;
using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Rewards;
using Cortex1.Trainer.Grpo;
using Microsoft.Extensions.Options;

namespace Cortex1.Trainer.Runs;

public sealed class TrainerOptions
{
    /// <summary>Where base models and checkpoints are kept locally.</summary>
    public string CacheFolder { get; set; } = Path.Combine(Path.GetTempPath(), "cortex1", "trainer");
}

/// <summary>
/// Runs a <c>train</c> job: SFT warm-up on the teacher's answers, then GRPO scored by Cortex1's reward
/// system, with the adapter checkpointed to blob storage every few steps. A job picked up again after
/// a crash loads its last checkpoint and continues from the step after it; steps already recorded are
/// not recorded twice. The finished adapter lands in <c>adapters/{name}/</c>, where Inference serves it.
/// </summary>
public sealed partial class TrainingRunHandler(
    TrainingStore store, BlobStore blobs, BlobMirror mirror, RewardSystem rewards, IOptions<TrainerOptions> options,
    ILogger<TrainingRunHandler> logger) : IJobHandler
{
    public string Kind => TrainingRunRequest.JobKind;

    public async Task<object?> RunAsync(JobContext context, CancellationToken ct)
    {
        try
        {
            return await TrainAsync(context, ct);
        }
        catch (ExternalException e)
        {
            // libtorch's errors carry its C++ backtrace: the job record keeps the first line, the log the whole exception.
            throw new InvalidOperationException($"The engine failed: {EngineErrors.Summary(e)}", e);
        }
    }

    private async Task<object?> TrainAsync(JobContext context, CancellationToken ct)
    {
        var request = context.Job.PayloadAs<TrainingRunRequest>();
        if (request.Validate() is { } problem) throw new PermanentJobException($"Invalid training run: {problem}.");
        var jobId = context.Job.Id;
        await store.EnsureRunAsync(jobId, request, ct);

        await context.ReportProgressAsync(0, "reading the data set", ct);
        var examples = await ReadDatasetAsync(request, ct);
        await context.ReportProgressAsync(0, $"loading base model {request.BaseModel}", ct);
        var folder = await BaseModelFolders.LocalAsync(request.BaseModel, mirror, options.Value.CacheFolder, ct);
        using var model = await Task.Run(() => LanguageModel.Load(folder,
            new LoadOptions(QuantizationName.Parse(request.Quantization))), ct);

        var resume = await store.LatestCheckpointAsync(jobId, ct);
        string? resumeFolder = null;
        if (resume is not null)
        {
            var local = resumeFolder = Path.Combine(options.Value.CacheFolder, "checkpoints", $"{jobId}-{resume.Phase}-{resume.Step}");
            await mirror.MirrorAsync(BlobContainers.Adapters, resume.BlobPrefix, local, ct);
            model.LoadAdapter(GrpoTrainer.PolicyAdapter, local);
            LogResumed(logger, jobId, resume.Phase, resume.Step);
        }

        var grpo = new GrpoOptions
        {
            NumGenerations = request.NumGenerations, MaxCompletionLength = request.MaxCompletionLength,
            LearningRate = request.LearningRate, Beta = request.Beta, Seed = request.Seed,
            Lora = new LoraConfig(Rank: request.LoraRank, Alpha: 2.0 * request.LoraRank, Dropout: 0.0),
            PromptsPerStep = request.PromptsPerStep, GradientAccumulationSteps = request.GradientAccumulationSteps,
            Temperature = (float)request.Temperature, TopP = (float)request.TopP, Epsilon = request.Epsilon, EpsilonHigh = request.EpsilonHigh,
            LossType = request.LossType, ScaleRewards = request.ScaleRewards, NumIterations = request.NumIterations,
            LrScheduler = request.LrScheduler, WarmupRatio = request.WarmupRatio, WeightDecay = request.WeightDecay,
            SftSteps = request.SftSteps, GrpoSteps = request.GrpoSteps, GradientCheckpointing = request.GradientCheckpointing,
        };
        using var trainer = new GrpoTrainer(model, grpo, Score);
        // Checkpoints written before the optimiser state was saved resume with fresh moments.
        if (resumeFolder is not null) trainer.LoadOptimizerState(resumeFolder);
        var all = examples.Select(ToPrompt).ToList();
        var prompts = all.Where(trainer.Fits).ToList();
        if (prompts.Count == 0)
            throw new PermanentJobException($"Every prompt of {request.Dataset}/{request.Version} is too long for the base model's {model.ContextLength}-token context.");
        if (prompts.Count < all.Count) LogSkipped(logger, all.Count - prompts.Count, model.ContextLength);
        examples = [.. prompts.Select(p => (TrainingExample)p.RewardContext!)];
        var total = request.SftSteps + request.GrpoSteps;
        double? firstReward = null, lastReward = null;

        // The held-out reward, before training, every evalEvery steps of each phase and at each phase's end.
        var heldOut = (await ReadEvalSplitAsync(request, ct)).Take(request.EvalPrompts).Select(ToPrompt).Where(trainer.Fits).ToList();
        var evals = (await store.EvalsAsync(jobId, ct)).ToDictionary(e => (e.Phase, e.Step));
        async Task EvaluateAsync(string phase, int step)
        {
            if (heldOut.Count == 0 || evals.ContainsKey((phase, step))) return;
            await context.ReportProgressAsync(phase == "base" ? 0 : (double)((phase == "grpo" ? request.SftSteps : 0) + step) / total,
                $"evaluating {heldOut.Count} held-out prompts ({phase} step {step})", ct);
            var result = await Task.Run(() => trainer.Evaluate(heldOut, ct: ct), ct);
            var row = new TrainingEvalRow(phase, step, result.RewardMean, result.RewardStdError, result.Prompts, result.Components);
            await store.RecordEvalAsync(jobId, row, ct);
            evals[(phase, step)] = row;
            await context.ReportProgressAsync((double)((phase == "grpo" ? request.SftSteps : 0) + step) / total,
                $"held-out reward ({phase} step {step}): {result.RewardMean:F4} ± {result.RewardStdError:F4} over {result.Prompts} prompts", ct);
        }
        bool EvalDue(int done, int steps) => done == steps || (request.EvalEvery > 0 && done % request.EvalEvery == 0);
        await EvaluateAsync("base", 0);

        // Each phase draws its own seeded shuffle of the prompts; a step takes PromptsPerStep × GradientAccumulationSteps.
        var perStep = request.PromptsPerStep * request.GradientAccumulationSteps;
        var sftOrder = new PromptOrder(prompts.Count, request.Seed, "sft");
        var grpoOrder = new PromptOrder(prompts.Count, request.Seed, "grpo");
        var sftStart = resume switch { null => 0, { Phase: "sft" } r => r.Step + 1, _ => request.SftSteps };
        for (var step = sftStart; step < request.SftSteps; step++)
        {
            var batch = sftOrder.Batch(step, perStep).Select(i => new SftExample(prompts[i], examples[i].Answer, examples[i].Reasoning)).ToList();
            var started = DateTime.UtcNow;
            var metrics = await Task.Run(() => trainer.SftStep(batch), ct);
            await store.RecordSftStepAsync(jobId, step, metrics, (DateTime.UtcNow - started).TotalSeconds, ct);
            await context.ReportProgressAsync((double)(step + 1) / total,
                $"sft step {step + 1}/{request.SftSteps}: loss {metrics.Loss:F3}, grad norm {metrics.GradNorm:F3}, lr {metrics.LearningRate:G3}", ct);
            if (EvalDue(step + 1, request.SftSteps)) await EvaluateAsync("sft", step + 1);
            await CheckpointIfDueAsync(request, jobId, trainer, "sft", step, request.SftSteps, ct);
        }

        var grpoStart = resume is { Phase: "grpo" } g ? g.Step + 1 : 0;
        for (var step = grpoStart; step < request.GrpoSteps; step++)
        {
            var batch = grpoOrder.Batch(step, perStep).Select(i => prompts[i]).ToList();
            var metrics = await Task.Run(() => trainer.Step(step, batch, ct), ct);
            firstReward ??= metrics.RewardMean;
            lastReward = metrics.RewardMean;
            await store.RecordGrpoStepAsync(jobId, metrics, ct);
            await context.ReportProgressAsync((double)(request.SftSteps + step + 1) / total,
                $"grpo step {step + 1}/{request.GrpoSteps}: reward {metrics.RewardMean:F3} ± {metrics.RewardStd:F3}, kl {metrics.Kl:F4}, " +
                $"clip {metrics.ClipRatio:F3}, zero-std groups {metrics.ZeroStdGroupShare:P0}, grad norm {metrics.GradNorm:F3}, " +
                $"length {metrics.CompletionTokensMean:F0} ({metrics.TruncatedShare:P0} cut), lr {metrics.LearningRate:G3}", ct);
            if (EvalDue(step + 1, request.GrpoSteps)) await EvaluateAsync("grpo", step + 1);
            await CheckpointIfDueAsync(request, jobId, trainer, "grpo", step, request.GrpoSteps, ct);
        }

        var adapter = await UploadAdapterAsync(trainer.SaveAdapter, request.Name, $"{jobId}-final", ct);
        await DeleteCheckpointsAsync(request.Name, ct);
        var report = await TrainingReport.PublishAsync(blobs, request.Name, jobId, await store.StepsAsync(jobId, ct), [.. evals.Values], options.Value.CacheFolder, ct);
        TrainingEvalRow? EvalAt(string phase, int step) => evals.GetValueOrDefault((phase, step));
        var (before, afterSft, after) = (EvalAt("base", 0), request.SftSteps > 0 ? EvalAt("sft", request.SftSteps) : null,
            request.GrpoSteps > 0 ? EvalAt("grpo", request.GrpoSteps) : EvalAt("sft", request.SftSteps));
        return new
        {
            adapter = $"{BlobContainers.Adapters}/{adapter}", examples = examples.Count, firstReward, lastReward, resumedFrom = resume,
            evalRewardBefore = before?.RewardMean, evalRewardBeforeSe = before?.RewardStdError,
            evalRewardAfterSft = afterSft?.RewardMean, evalRewardAfterSftSe = afterSft?.RewardStdError,
            evalRewardAfter = after?.RewardMean, evalRewardAfterSe = after?.RewardStdError,
            evalPrompts = heldOut.Count,
            report = report is null ? null : $"{BlobContainers.Reports}/{report}",
        };
    }

    /// <summary>GRPO's reward: the composite score of the answer (reasoning in &lt;think&gt; is not scored) against the example's
    /// market data, with each component's score for the metrics.</summary>
    private Reward Score(TrainingPrompt prompt, string completion)
    {
        var example = (TrainingExample)prompt.RewardContext!;
        var breakdown = rewards.Score(ThinkTags.AnswerOf(completion), new RewardContext(example.Market, example.Kind));
        return new Reward(breakdown.Total, breakdown.Components.ToDictionary(c => c.Key, c => c.Value.Score));
    }

    private static TrainingPrompt ToPrompt(TrainingExample e) => new(e.Id, [new ChatMessage("user", e.Prompt)], e);

    private async Task<IReadOnlyList<TrainingExample>> ReadDatasetAsync(TrainingRunRequest request, CancellationToken ct)
    {
        var name = DatasetPaths.Train(request.Dataset, request.Version);
        string text;
        try
        {
            text = await blobs.DownloadTextAsync(BlobContainers.Datasets, name, ct);
        }
        catch (FileNotFoundException)
        {
            throw new PermanentJobException($"No data set at {BlobContainers.Datasets}/{name}. Generate it with Synth first.");
        }
        var examples = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(DatasetJson.FromLine).ToList();
        return examples.Count > 0 ? examples : throw new PermanentJobException($"{BlobContainers.Datasets}/{name} holds no examples.");
    }

    /// <summary>The data set's eval split (<c>eval.jsonl</c>), or nothing when it has none (no held-out reward then).</summary>
    private async Task<IReadOnlyList<TrainingExample>> ReadEvalSplitAsync(TrainingRunRequest request, CancellationToken ct)
    {
        if (request.EvalPrompts == 0) return [];
        var name = $"{request.Dataset}/{request.Version}/eval.jsonl";
        try
        {
            var text = await blobs.DownloadTextAsync(BlobContainers.Datasets, name, ct);
            return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(DatasetJson.FromLine)];
        }
        catch (FileNotFoundException)
        {
            LogNoEvalSplit(logger, $"{BlobContainers.Datasets}/{name}");
            return [];
        }
    }

    private async Task CheckpointIfDueAsync(TrainingRunRequest request, long jobId, GrpoTrainer trainer, string phase, int step, int steps, CancellationToken ct)
    {
        if ((step + 1) % request.CheckpointEvery != 0 && step != steps - 1) return;
        var prefix = await UploadAdapterAsync(trainer.SaveCheckpoint, $"{request.Name}/checkpoints/{phase}-{step:D5}", $"{jobId}-{phase}-{step}", ct);
        await store.RecordCheckpointAsync(jobId, new TrainingCheckpoint(phase, step, prefix), ct);
    }

    /// <summary>Saves the policy adapter in PEFT format (with the optimiser state, for a checkpoint) and uploads its files under <c>adapters/{prefix}/</c>.</summary>
    private async Task<string> UploadAdapterAsync(Action<string> save, string prefix, string localName, CancellationToken ct)
    {
        var local = Path.Combine(options.Value.CacheFolder, "out", localName);
        save(local);
        // The config goes last: Inference treats a folder with adapter_config.json as a complete adapter.
        foreach (var file in Directory.GetFiles(local).OrderBy(f => Path.GetFileName(f) == "adapter_config.json"))
            await blobs.UploadFileAsync(BlobContainers.Adapters, $"{prefix}/{Path.GetFileName(file)}", file, ct);
        Directory.Delete(local, recursive: true);
        return prefix;
    }

    private async Task DeleteCheckpointsAsync(string name, CancellationToken ct)
    {
        var stale = new List<string>();
        await foreach (var blob in blobs.ListAsync(BlobContainers.Adapters, $"{name}/checkpoints/", ct)) stale.Add(blob.Name);
        // Config files first, so no half-deleted checkpoint still looks like an adapter.
        foreach (var blob in stale.OrderBy(b => !b.EndsWith("adapter_config.json", StringComparison.Ordinal)))
            await blobs.DeleteAsync(BlobContainers.Adapters, blob, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped {Count} examples whose prompt does not fit the {Context}-token context")]
    private static partial void LogSkipped(ILogger logger, int count, int context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No eval split at {Path}: the run records no held-out reward")]
    private static partial void LogNoEvalSplit(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training job {JobId} resumes after its {Phase} checkpoint at step {Step}")]
    private static partial void LogResumed(ILogger logger, long jobId, string phase, int step);
}
