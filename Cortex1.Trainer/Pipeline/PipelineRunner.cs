using Cortex1.Data;
using Cortex1.Data.Jobs;
using Cortex1.Trainer.Runs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Cortex1.Trainer.Pipeline;

/// <summary>
/// The orchestrator: once storage is ready, walks the profile's stages in order; a stage whose output exists is done
/// at once (later starts reuse everything), otherwise its job is queued in the owning service's queue (or the job it
/// already has is waited on, or a failed one queued again so it resumes, if it still asks for what the stage asks for now, else a new one) and watched until it ends. Services are never
/// called: the jobs table and blob storage are the only contact. One orchestrator across Trainer replicas (a PostgreSQL
/// advisory lock); <see cref="RunAgain"/> (POST /api/pipeline/runs, the dashboard's button) walks the stages again.
/// </summary>
public sealed partial class PipelineRunner(
    IOptions<PipelineOptions> options, PipelinePlan plan, PipelineStore store, JobQueue queue, TrainingStore training,
    StorageReadiness readiness, NpgsqlDataSource db, PipelineMetrics metrics, ILogger<PipelineRunner> logger) : BackgroundService
{
    /// <summary>The advisory lock key of the orchestrator ("cortex1p" in ASCII).</summary>
    private const long LockKey = 0x636f72746578_3170;

    private readonly SemaphoreSlim _again = new(0, 1);

    public string Pipeline => PipelineOptions.Canonical(options.Value.Profile);

    /// <summary>Asks for another walk of the stages (the first one, when the pipeline is not enabled at start).</summary>
    public void RunAgain()
    {
        try
        {
            if (_again.CurrentCount == 0) _again.Release();
        }
        catch (SemaphoreFullException)
        {
            // Two requests at once: one walk is asked for already, which is all either wanted.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (!options.Value.Enabled) await _again.WaitAsync(stoppingToken);
            await readiness.WaitUntilReadyAsync(stoppingToken);
            await using var conn = await db.OpenConnectionAsync(stoppingToken);
            while (!await TryLockAsync(conn, stoppingToken))
            {
                LogOtherOrchestrator(logger);
                await Task.Delay(TimeSpan.FromSeconds(10), stoppingToken);
            }
            while (true)
            {
                try
                {
                    await WalkAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested && IsTransient(e))
                {
                    // A database or storage blip: the stage's job runs on in its own service, so the next walk (soon)
                    // attaches to it again instead of leaving the pipeline failed, or stopping the Trainer's host.
                    LogWalkInterrupted(logger, e.Message);
                    await Task.Delay(TransientRetry, stoppingToken);
                    continue;
                }
                await _again.WaitAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static readonly TimeSpan TransientRetry = TimeSpan.FromSeconds(15);

    /// <summary>Failures of PostgreSQL or blob storage that a later attempt may not meet.</summary>
    private static bool IsTransient(Exception e) =>
        e is NpgsqlException or TimeoutException or HttpRequestException or Azure.RequestFailedException { Status: 0 or >= 500 };

    private static async Task<bool> TryLockAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", conn);
        cmd.Parameters.AddWithValue("key", LockKey);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>One walk of the stages; the first that fails stops it (the next walk starts there again).</summary>
    public async Task WalkAsync(CancellationToken ct)
    {
        var pipeline = Pipeline;
        IReadOnlyList<PipelineStage> stages;
        try
        {
            stages = plan.Stages();
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            // A profile that cannot be read is a stage of its own, failed, so the API and the dashboard say why.
            var profile = new PipelineStage("profile", "trainer", _ => Task.FromResult<object?>(null), null);
            await store.BeginAsync(pipeline, [profile], ct);
            await store.FailedAsync(pipeline, profile.Name, e.Message, ct);
            LogStageFailed(logger, profile.Name, e.Message);
            return;
        }
        await store.BeginAsync(pipeline, stages, ct);
        LogStarted(logger, pipeline, string.Join(" → ", stages.Select(s => s.Name)));
        foreach (var stage in stages)
        {
            try
            {
                if (!await RunStageAsync(pipeline, stage, ct)) return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogStageFailed(logger, stage.Name, e.Message);
                if (IsTransient(e)) throw;   // walked again shortly (ExecuteAsync); the store may be what failed
                await store.FailedAsync(pipeline, stage.Name, e.Message, CancellationToken.None);
                return;
            }
        }
        LogDone(logger, pipeline);
    }

    private async Task<bool> RunStageAsync(string pipeline, PipelineStage stage, CancellationToken ct)
    {
        var poll = TimeSpan.FromSeconds(Math.Max(0.05, options.Value.PollSeconds));
        await store.RunningAsync(pipeline, stage.Name, "looking for its output", ct);
        if (await stage.FindOutput(ct) is { } existing)
        {
            await DoneAsync(pipeline, stage, existing, "reused: its output exists", ct);
            return true;
        }
        if (stage.Job is null)
        {
            await store.RunningAsync(pipeline, stage.Name, $"waiting for {stage.Service} to pick it up", ct);
            object? output;
            while ((output = await stage.FindOutput(ct)) is null) await Task.Delay(poll, ct);
            await DoneAsync(pipeline, stage, output, $"{stage.Service} has it", ct);
            return true;
        }

        var jobId = await AttachOrQueueAsync(pipeline, stage, ct);
        await store.RunningAsync(pipeline, stage.Name, $"{stage.Service} job {jobId}", ct);
        LogStage(logger, stage.Name, stage.Service, jobId);
        metrics.Set("cortex1.pipeline.stage.progress", "stage", stage.Name, 0);
        while (true)
        {
            var job = await queue.GetAsync(jobId, ct) ?? throw new InvalidOperationException($"Job {jobId} vanished from the queue.");
            metrics.Set("cortex1.pipeline.stage.progress", "stage", stage.Name, job.Progress);
            if (stage.Name == PipelinePlan.Train) await ObserveTrainingAsync(job, ct);
            switch (job.Status)
            {
                case JobStatus.Succeeded:
                    await DoneAsync(pipeline, stage, await stage.FindOutput(ct) ?? job.Result?.RootElement.Clone(), $"{stage.Service} job {jobId} succeeded", ct);
                    return true;
                case JobStatus.Failed or JobStatus.Canceled:
                    var error = $"{stage.Service} job {jobId} {job.Status}: {job.Error ?? "no error recorded"}";
                    await store.FailedAsync(pipeline, stage.Name, error, ct);
                    LogStageFailed(logger, stage.Name, error);
                    return false;
            }
            await Task.Delay(poll, ct);
        }
    }

    /// <summary>
    /// The stage's job: one already under way; else its failed one queued again (it resumes from its checkpoints) when it
    /// asked for what the stage asks for now; else a new one (a failed job of an earlier configuration would fail again,
    /// or make an output the profile no longer describes).
    /// </summary>
    private async Task<long> AttachOrQueueAsync(string pipeline, PipelineStage stage, CancellationToken ct)
    {
        var known = await store.JobOfAsync(pipeline, stage.Name, ct) ?? (stage.ExistingJob is null ? null : await stage.ExistingJob(ct));
        var job = known is { } id ? await queue.GetAsync(id, ct) : null;
        if (job is { Status: JobStatus.Queued or JobStatus.Running })
        {
            await store.JobAsync(pipeline, stage.Name, job.Id, ct);
            return job.Id;
        }
        var (kind, payload) = await stage.Job!(ct);
        if (job is { Status: JobStatus.Failed or JobStatus.Canceled } && SameRequest(job, kind, payload) && await queue.RequeueAsync(job.Id, ct))
        {
            await store.JobAsync(pipeline, stage.Name, job.Id, ct);
            return job.Id;
        }
        var created = await queue.EnqueueAsync(kind, payload, ct: ct);
        await store.JobAsync(pipeline, stage.Name, created, ct);
        return created;
    }

    /// <summary>Whether a job is of this kind with this payload, compared as JSON (PostgreSQL's jsonb reorders keys).</summary>
    private static bool SameRequest(Job job, string kind, object payload) =>
        job.Kind == kind && System.Text.Json.JsonElement.DeepEquals(job.Payload.RootElement,
            System.Text.Json.JsonSerializer.SerializeToElement(payload, System.Text.Json.JsonSerializerOptions.Web));

    private async Task DoneAsync(string pipeline, PipelineStage stage, object? output, string message, CancellationToken ct)
    {
        await store.DoneAsync(pipeline, stage.Name, output, message, ct);
        metrics.Set("cortex1.pipeline.stage.progress", "stage", stage.Name, 1);
        if (stage.Name == PipelinePlan.Eval && output is not null)
        {
            var json = System.Text.Json.JsonSerializer.SerializeToElement(output, System.Text.Json.JsonSerializerOptions.Web);
            if (json.TryGetProperty("reward", out var reward) && reward.ValueKind == System.Text.Json.JsonValueKind.Number)
                metrics.Set("cortex1.eval.reward", "component", "composite", reward.GetDouble());
        }
        LogStageDone(logger, stage.Name, message);
    }

    /// <summary>The running training job's latest step and held-out reward, as gauges.</summary>
    private async Task ObserveTrainingAsync(Job job, CancellationToken ct)
    {
        var steps = await training.StepsAsync(job.Id, ct);
        if (steps.Count > 0)
        {
            var last = steps[^1];
            metrics.Set("cortex1.training.loss", "phase", last.Phase, last.Loss);
            if (last.RewardMean is { } reward) metrics.Set("cortex1.training.reward", "component", "composite", reward);
            foreach (var (component, value) in last.RewardComponents ?? new Dictionary<string, double>())
                metrics.Set("cortex1.training.reward", "component", component, value);
            if (last.CompletionTokens is { } tokens && last.Seconds > 0)
            {
                var run = job.PayloadAs<TrainingRunRequest>();
                var sequences = run.PromptsPerStep * run.GradientAccumulationSteps * (last.Phase == "grpo" ? run.NumGenerations : 1);
                metrics.Set("cortex1.training.tokens_per_second", "phase", last.Phase, tokens * sequences / last.Seconds);
            }
        }
        var evals = await training.EvalsAsync(job.Id, ct);
        if (evals.Count > 0) metrics.Set("cortex1.training.heldout_reward", "phase", evals[^1].Phase, evals[^1].RewardMean);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pipeline walk interrupted ({Reason}); walking again shortly")]
    private static partial void LogWalkInterrupted(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pipeline {Pipeline} started: {Stages}")]
    private static partial void LogStarted(ILogger logger, string pipeline, string stages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pipeline stage {Stage}: {Service} job {JobId}")]
    private static partial void LogStage(ILogger logger, string stage, string service, long jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pipeline stage {Stage} done ({How})")]
    private static partial void LogStageDone(ILogger logger, string stage, string how);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pipeline stage {Stage} failed: {Error}")]
    private static partial void LogStageFailed(ILogger logger, string stage, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pipeline {Pipeline} done")]
    private static partial void LogDone(ILogger logger, string pipeline);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another Trainer runs the pipeline; this one shows its state")]
    private static partial void LogOtherOrchestrator(ILogger logger);
}
