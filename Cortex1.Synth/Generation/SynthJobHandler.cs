using Cortex1.Data.Jobs;

namespace Cortex1.Synth.Generation;

/// <summary>The job payload: which run to (re)start.</summary>
public sealed record SynthJobPayload(long RunId);

/// <summary>
/// Runs a synth run as a job. A job whose worker died is claimed again and <see cref="SynthRunner"/>
/// continues from the stored examples; progress goes to the job row (which also renews the lease).
/// </summary>
public sealed class SynthJobHandler(SynthRunner runner) : IJobHandler
{
    public const string JobKind = "synth.generate";

    public string Kind => JobKind;

    public async Task<object?> RunAsync(JobContext context, CancellationToken ct)
    {
        var payload = context.Job.PayloadAs<SynthJobPayload>();
        try
        {
            var manifest = await runner.RunAsync(payload.RunId,
                (p, token) => context.ReportProgressAsync(p.Fraction, p.ToString(), token), ct);
            return new { manifest.Name, manifest.Version, train = manifest.Train.Count, eval = manifest.Eval.Count, manifest.Rejected };
        }
        catch (Exception e) when (e is ArgumentException or MarketDataMissingException)
        {
            throw new PermanentJobException(e.Message, e);
        }
    }
}
