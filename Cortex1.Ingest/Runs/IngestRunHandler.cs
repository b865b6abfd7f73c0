using Cortex1.Data.Jobs;
using Cortex1.Ingest.Flipside;
using Cortex1.Ingest.Pipeline;

namespace Cortex1.Ingest.Runs;

/// <summary>Runs queued ingest jobs (<c>POST /api/ingest/runs</c>) on the shared job queue.</summary>
public sealed class IngestRunHandler(MarketIngestor ingestor) : IJobHandler
{
    public const string JobKind = "ingest";

    public string Kind => JobKind;

    public async Task<object?> RunAsync(JobContext context, CancellationToken ct)
    {
        var request = context.Job.PayloadAs<IngestRunRequest>();
        if (request.Validate() is { } problem) throw new PermanentJobException(problem);

        IngestProgressHandler progress = (p, token) => context.ReportProgressAsync(Scale(p), p.ToString(), token);
        try
        {
            return request.Mode == IngestRunRequest.LoadEmbedded
                ? await ingestor.LoadEmbeddedAsync(progress, ct)
                : await ingestor.FetchAsync(request.DaysOrDefault, request.ChainsOrDefault, progress, ct);
        }
        catch (FlipsideException e) when (e.IsPermanent)
        {
            throw new PermanentJobException(e.Message, e);
        }
    }

    // Fetching is most of the time of a fetch run; storing the rest. Stages map onto [0, 1).
    private static double Scale(IngestProgress p) => p.Stage switch
    {
        "fetch" => 0.7 * p.Fraction,
        "derive" => 0.7 + 0.05 * p.Fraction,
        _ => 0.75 + 0.24 * p.Fraction,
    };
}
