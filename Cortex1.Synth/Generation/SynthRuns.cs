using Cortex1.Data.Jobs;

namespace Cortex1.Synth.Generation;

/// <summary>Creates runs and their jobs. A (name, version) that already has an unfinished or failed run gets a new job for it, so it resumes.</summary>
public sealed class SynthRuns(SynthStore store, JobQueue jobs)
{
    /// <returns>The run, and whether a job was queued for it (false when it already succeeded or is queued/running).</returns>
    public async Task<(SynthRun Run, bool Started)> StartAsync(SynthRunRequest request, CancellationToken ct)
    {
        var (run, created) = await store.CreateOrGetRunAsync(request, ct);
        // The job, not the run row, says whether work is under way: a job abandoned on its last attempt is failed by
        // the queue while its run row still says "running".
        if (!created && (run.Status == "succeeded" || await IsUnderWayAsync(run, ct))) return (run, false);
        var jobId = await jobs.EnqueueAsync(SynthJobHandler.JobKind, new SynthJobPayload(run.Id), ct: ct);
        await store.SetJobAsync(run.Id, jobId, ct);
        return (run with { JobId = jobId, Status = "queued" }, true);
    }

    private async Task<bool> IsUnderWayAsync(SynthRun run, CancellationToken ct) => run.JobId is { } id
        ? await jobs.GetAsync(id, ct) is { Status: JobStatus.Queued or JobStatus.Running }
        : run.Status is "queued" or "running";   // its creator is still attaching the job
}
