using Cortex1.Data.Jobs;

namespace Cortex1.Synth.Generation;

/// <summary>Creates runs and their jobs. A (name, version) that already has an unfinished or failed run gets a new job for it, so it resumes.</summary>
public sealed class SynthRuns(SynthStore store, JobQueue jobs)
{
    /// <returns>The run, and whether a job was queued for it (false when it already succeeded or is queued/running).</returns>
    public async Task<(SynthRun Run, bool Started)> StartAsync(SynthRunRequest request, CancellationToken ct)
    {
        var (run, created) = await store.CreateOrGetRunAsync(request, ct);
        if (!created && run.Status is "succeeded" or "queued" or "running") return (run, false);
        var jobId = await jobs.EnqueueAsync(SynthJobHandler.JobKind, new SynthJobPayload(run.Id), ct: ct);
        await store.SetJobAsync(run.Id, jobId, ct);
        return (run with { JobId = jobId, Status = "queued" }, true);
    }
}
