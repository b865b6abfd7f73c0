using Cortex1.Data.Jobs;
using Cortex1.Data.Migrations;
using Cortex1.Data.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cortex1.Data;

public static class DataExtensions
{
    /// <summary>
    /// PostgreSQL (through Aspire's Npgsql integration: pooling, health check, telemetry), the migrations applied
    /// before the service reports healthy, and the job queue: for a service that keeps state but no files (Ingest).
    /// </summary>
    public static IHostApplicationBuilder AddCortex1Database(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(ConnectionNames.Database);
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddSingleton<StorageReadiness>();
        builder.Services.AddHostedService<StorageInitializer>();
        builder.Services.AddHealthChecks().AddCheck<StorageReadiness>("storage-ready");
        return builder;
    }

    /// <summary>
    /// PostgreSQL (<see cref="AddCortex1Database"/>) and blob storage (<see cref="BlobsExtensions.AddCortex1Blobs"/>), the
    /// blob containers created along with the migrations before the service reports healthy.
    /// </summary>
    public static IHostApplicationBuilder AddCortex1Data(this IHostApplicationBuilder builder) =>
        builder.AddCortex1Database().AddCortex1Blobs();
}

/// <summary>Unhealthy until the migrations ran and, where the service uses blob storage, its containers exist.</summary>
public sealed class StorageReadiness : IHealthCheck
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _failure = "starting";

    public void Ready()
    {
        _failure = null;
        _ready.TrySetResult();
    }

    public void Failed(string why) => _failure = why;

    /// <summary>Completes once migrations ran and containers exist, so work that needs the schema never races it.</summary>
    public Task WaitUntilReadyAsync(CancellationToken ct) => _ready.Task.WaitAsync(ct);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(_failure is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(_failure));
}

/// <summary>Applies migrations and creates the blob containers at start, retrying while the servers come up.</summary>
internal sealed partial class StorageInitializer(
    MigrationRunner migrations, IServiceProvider services, StorageReadiness readiness, ILogger<StorageInitializer> logger) : BackgroundService
{
    /// <summary>Null in a service that registered no blob storage.</summary>
    private readonly BlobStore? _blobs = services.GetService<BlobStore>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await migrations.ApplyAsync(stoppingToken);
                if (_blobs is not null) await _blobs.EnsureContainersAsync(stoppingToken);
                readiness.Ready();
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                readiness.Failed(e.Message);
                LogRetry(logger, e, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage not ready (attempt {Attempt}); retrying")]
    private static partial void LogRetry(ILogger logger, Exception e, int attempt);
}
