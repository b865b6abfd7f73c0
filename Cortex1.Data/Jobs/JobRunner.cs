using Microsoft.Extensions.Logging;

namespace Cortex1.Data.Jobs;

/// <summary>How a claimed job's run ended.</summary>
public enum JobOutcome
{
    Succeeded,
    /// <summary>Failed; queued again if the failure was retryable and attempts remain.</summary>
    Failed,
    /// <summary>Another worker owns the job now (this one's lease ran out); it stopped without writing.</summary>
    LeaseLost,
    /// <summary>Stopped by its caller (shutdown, Ctrl+C) and given back to the queue unfinished.</summary>
    Released,
}

/// <summary>How a run ended, and the failure when it failed.</summary>
public readonly record struct JobRunResult(JobOutcome Outcome, Exception? Error = null);

/// <summary>
/// Runs one claimed job to its end in the queue, for the service's <see cref="JobWorker"/> and for command lines
/// alike: the lease is renewed in the background while the handler works (a long step without progress reports
/// keeps the job), and the run's end is recorded: success, failure (permanent or retryable), or the job given back
/// when the caller stops it.
/// </summary>
public sealed partial class JobRunner(JobQueue queue, ILogger logger)
{
    public async Task<JobRunResult> RunAsync(Job job, IJobHandler handler, string worker,
        Action<double, string?>? onProgress = null, CancellationToken ct = default)
    {
        LogClaimed(logger, job.Id, job.Kind, job.Attempts);
        using var leaseCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renew = RenewLease(job, worker, leaseCts);
        try
        {
            var result = await handler.RunAsync(new JobContext(job, queue, worker, onProgress), leaseCts.Token);
            await queue.CompleteAsync(job.Id, worker, result, CancellationToken.None);
            LogDone(logger, job.Id);
            return new(JobOutcome.Succeeded);
        }
        catch (OperationCanceledException) when (leaseCts.IsCancellationRequested)
        {
            if (ct.IsCancellationRequested)
            {
                await queue.ReleaseAsync(job.Id, worker, CancellationToken.None);
                LogReleased(logger, job.Id);
                return new(JobOutcome.Released);
            }
            LogLeaseLost(logger, job.Id);
            return new(JobOutcome.LeaseLost);
        }
        catch (Exception e)
        {
            var permanent = e is PermanentJobException;
            await queue.FailAsync(job.Id, worker, e.Message, retryable: !permanent, CancellationToken.None);
            LogFailed(logger, e, job.Id, permanent);
            return new(JobOutcome.Failed, e);
        }
        finally
        {
            await leaseCts.CancelAsync();
            await renew.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RenewLease(Job job, string worker, CancellationTokenSource cts)
    {
        var period = JobQueue.DefaultLease / 3;
        while (!cts.IsCancellationRequested)
        {
            await Task.Delay(period, cts.Token);
            if (!await queue.RenewLeaseAsync(job.Id, worker, ct: cts.Token))
            {
                await cts.CancelAsync(); // someone else owns it now: stop working on it
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Claimed job {JobId} ({Kind}), attempt {Attempt}")]
    private static partial void LogClaimed(ILogger logger, long jobId, string kind, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} succeeded")]
    private static partial void LogDone(ILogger logger, long jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} stopped and given back to the queue")]
    private static partial void LogReleased(ILogger logger, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was taken over by another worker; stopped")]
    private static partial void LogLeaseLost(ILogger logger, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} failed (permanent: {Permanent})")]
    private static partial void LogFailed(ILogger logger, Exception e, long jobId, bool permanent);
}
