using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cortex1.Data.Jobs;

/// <summary>Runs the jobs of one kind. Register with <see cref="JobServiceCollectionExtensions.AddJobHandler{THandler}"/>.</summary>
public interface IJobHandler
{
    string Kind { get; }

    /// <summary>Runs one claimed job; the returned object is stored as the job's result.</summary>
    Task<object?> RunAsync(JobContext context, CancellationToken ct);
}

/// <summary>A failure that retrying cannot fix (bad input, a rejected API key): the job fails at once.</summary>
public sealed class PermanentJobException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// What a handler sees of its job: the row, and a way to report progress (which also renews the lease).
/// <paramref name="onProgress"/>, when given, hears each report once it is recorded: a console runner prints
/// them, and a test can stop the worker at an exact point of the job instead of racing it.
/// </summary>
public sealed class JobContext(Job job, JobQueue queue, string worker, Action<double, string?>? onProgress = null)
{
    public Job Job => job;
    public string Worker => worker;

    /// <summary>Records progress in [0,1]. Throws <see cref="OperationCanceledException"/> if this worker lost the job.</summary>
    public async Task ReportProgressAsync(double progress, string? message = null, CancellationToken ct = default)
    {
        if (!await queue.HeartbeatAsync(job.Id, worker, progress, message, ct: ct))
            throw new OperationCanceledException($"Job {job.Id} is no longer owned by {worker}.");
        onProgress?.Invoke(progress, message);
    }
}

/// <summary>
/// Polls the queue for the handlers' kinds and runs one job at a time. The lease is renewed in the
/// background while the job runs, so a long step without progress reports is not taken away, while
/// a killed process stops renewing and its job is picked up by the next worker.
/// </summary>
public sealed partial class JobWorker(
    JobQueue queue, IEnumerable<IJobHandler> handlers, ILogger<JobWorker> logger, StorageReadiness? readiness = null) : BackgroundService
{
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    // At most 48 characters; a short host name makes the id shorter, so no fixed-length slice.
    public string WorkerId { get; } = string.Concat($"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}".Take(48));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var byKind = handlers.ToDictionary(h => h.Kind);
        if (byKind.Count == 0) return;
        // The jobs table exists only once migrations ran: don't poll before.
        if (readiness is not null) await readiness.WaitUntilReadyAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            Job? job = null;
            try
            {
                job = await queue.ClaimAsync(WorkerId, byKind.Keys, ct: stoppingToken);
                if (job is null)
                {
                    await Task.Delay(PollInterval, stoppingToken);
                    continue;
                }
                await RunOne(job, byKind[job.Kind], stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return; // shutting down: the lease runs out and another worker resumes the job
            }
            catch (Exception e)
            {
                LogPollFailed(logger, e);
                await Task.Delay(PollInterval * 5, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task RunOne(Job job, IJobHandler handler, CancellationToken stoppingToken)
    {
        LogClaimed(logger, job.Id, job.Kind, job.Attempts);
        using var leaseCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renew = RenewLease(job, leaseCts);
        try
        {
            var result = await handler.RunAsync(new JobContext(job, queue, WorkerId), leaseCts.Token);
            await queue.CompleteAsync(job.Id, WorkerId, result, CancellationToken.None);
            LogDone(logger, job.Id);
        }
        catch (OperationCanceledException) when (leaseCts.IsCancellationRequested)
        {
            if (stoppingToken.IsCancellationRequested) throw;
            LogLeaseLost(logger, job.Id);
        }
        catch (Exception e)
        {
            var permanent = e is PermanentJobException;
            await queue.FailAsync(job.Id, WorkerId, e.Message, retryable: !permanent, CancellationToken.None);
            LogFailed(logger, e, job.Id, permanent);
        }
        finally
        {
            await leaseCts.CancelAsync();
            await renew.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RenewLease(Job job, CancellationTokenSource cts)
    {
        var period = JobQueue.DefaultLease / 3;
        while (!cts.IsCancellationRequested)
        {
            await Task.Delay(period, cts.Token);
            var current = await queue.GetAsync(job.Id, cts.Token);
            if (current is null || current.LockedBy != WorkerId ||
                !await queue.HeartbeatAsync(job.Id, WorkerId, current.Progress, ct: cts.Token))
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was taken over by another worker; stopped")]
    private static partial void LogLeaseLost(ILogger logger, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} failed (permanent: {Permanent})")]
    private static partial void LogFailed(ILogger logger, Exception e, long jobId, bool permanent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling the job queue failed; retrying")]
    private static partial void LogPollFailed(ILogger logger, Exception e);
}

public static class JobServiceCollectionExtensions
{
    /// <summary>Registers a job handler and, once, the worker that runs handlers.</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services) where THandler : class, IJobHandler
    {
        services.AddSingleton<IJobHandler, THandler>();
        if (!services.Any(d => d.ImplementationType == typeof(JobWorker)))
            services.AddHostedService<JobWorker>();
        return services;
    }
}
