using Cortex1.Data.Jobs;

namespace Cortex1.Synth.Generation;

/// <summary>
/// The job payload: which run to (re)start, or the request of a run to create (or find) first: another service
/// queues a data set that way without knowing Synth's tables (the Trainer's pipeline does).
/// </summary>
public sealed record SynthJobPayload(long? RunId = null, SynthRunRequest? Request = null);

/// <summary>
/// Runs a synth run as a job. A job whose worker died is claimed again and <see cref="SynthRunner"/>
/// continues from the stored examples; progress goes to the job row (which also renews the lease).
/// </summary>
public sealed class SynthJobHandler(SynthRunner runner, SynthStore store) : IJobHandler
{
    public const string JobKind = "synth.generate";

    public string Kind => JobKind;

    public async Task<object?> RunAsync(JobContext context, CancellationToken ct)
    {
        var payload = context.Job.PayloadAs<SynthJobPayload>();
        try
        {
            var runId = payload.RunId ?? await RunOfAsync(payload.Request, context.Job.Id, ct);
            var manifest = await runner.RunAsync(runId,
                (p, token) => context.ReportProgressAsync(p.Fraction, p.ToString(), token), ct);
            return new { manifest.Name, manifest.Version, train = manifest.Train.Count, eval = manifest.Eval.Count, manifest.Rejected };
        }
        catch (Exception e) when (e is ArgumentException or MarketDataMissingException)
        {
            throw new PermanentJobException(e.Message, e);
        }
    }

    /// <summary>The run of a queued request, created on first claim (a retry finds it and resumes it), owned by this job.</summary>
    private async Task<long> RunOfAsync(SynthRunRequest? request, long jobId, CancellationToken ct)
    {
        if (request is null) throw new PermanentJobException("The job names neither a run id nor a run request.");
        if (request.Validate() is { } problem) throw new PermanentJobException(problem);
        var (run, _) = await store.CreateOrGetRunAsync(request, ct);
        await store.SetJobAsync(run.Id, jobId, ct);
        return run.Id;
    }
}
