using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;
using Cortex1.Trainer.Runs;
using Microsoft.Extensions.Options;

namespace Cortex1.Trainer.Pretrain;

/// <summary>
/// Runs a <c>pretrain</c> job: the baby model from scratch on the corpus, published to <c>models/{name}/</c>. Its
/// progress line carries the step, loss and tokens/s, so the dashboard and <c>GET /api/training/pretrain/{id}</c> show
/// them. A job picked up again after a crash starts over (minutes of work; nothing half-published is ever read).
/// </summary>
public sealed partial class PretrainHandler(BlobStore blobs, IOptions<TrainerOptions> options, ILogger<PretrainHandler> logger) : IJobHandler
{
    public string Kind => PretrainRequest.JobKind;

    public async Task<object?> RunAsync(JobContext context, CancellationToken ct)
    {
        var request = context.Job.PayloadAs<PretrainRequest>();
        if (request.Validate() is { } problem) throw new PermanentJobException($"Invalid pretraining run: {problem}.");
        await context.ReportProgressAsync(0, $"reading {request.Dataset}/{request.Version}", ct);
        var every = request.Options().LogEvery;
        void Progress(int step, int steps, double loss, double lr, double rate)
        {
            if (step % every != 0 && step != steps) return;
            // The training thread waits for the heartbeat: it is also the job's lease.
            context.ReportProgressAsync(0.99 * step / steps, FormattableString.Invariant($"pretrain step {step}/{steps}: loss {loss:F3}, lr {lr:0.####e0}, {rate:N0} tokens/s"), ct)
                .GetAwaiter().GetResult();
        }
        try
        {
            var result = await PretrainRunner.RunAsync(request, blobs, Path.Combine(options.Value.CacheFolder, "pretrain"),
                line => LogLine(logger, context.Job.Id, line), Progress, ct);
            return result;
        }
        catch (FileNotFoundException e)
        {
            throw new PermanentJobException(e.Message, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pretrain job {JobId}: {Line}")]
    private static partial void LogLine(ILogger logger, long jobId, string line);
}
