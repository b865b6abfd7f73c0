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
/// Polls the queue for the handlers' kinds and runs one job at a time through <see cref="JobRunner"/>. A worker
/// that shuts down gives its job back; a killed one stops renewing its lease and the next worker picks the job up.
/// </summary>
public sealed partial class JobWorker(
    JobQueue queue, IEnumerable<IJobHandler> handlers, ILogger<JobWorker> logger, StorageReadiness? readiness = null) : BackgroundService
{
    private readonly JobRunner _runner = new(queue, logger);

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
            try
            {
                var job = await queue.ClaimAsync(WorkerId, byKind.Keys, ct: stoppingToken);
                if (job is null)
                {
                    await Task.Delay(PollInterval, stoppingToken);
                    continue;
                }
                await _runner.RunAsync(job, byKind[job.Kind], WorkerId, ct: stoppingToken);
                if (stoppingToken.IsCancellationRequested) return; // the runner gave the job back for the next worker
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPollFailed(logger, e);
                await Task.Delay(PollInterval * 5, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

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
