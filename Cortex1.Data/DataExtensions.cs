using Azure.Storage.Blobs;
using Cortex1.Data.Jobs;
using Cortex1.Data.Migrations;
using Cortex1.Data.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cortex1.Data;

/// <summary>Connection names the AppHost gives the services.</summary>
public static class ConnectionNames
{
    public const string Database = "cortexdb";
    public const string Blobs = "blobs";
}

public static class DataExtensions
{
    /// <summary>
    /// PostgreSQL (through Aspire's Npgsql integration: pooling, health check, telemetry), the
    /// migrations applied before the service reports healthy, the blob store with its containers,
    /// and the job queue.
    /// </summary>
    public static IHostApplicationBuilder AddCortex1Data(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(ConnectionNames.Database);

        var blobs = builder.Configuration.GetConnectionString(ConnectionNames.Blobs)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionNames.Blobs} is not set. Start the service from Cortex1.AppHost, or set it to an Azure Storage or Azurite connection string.");
        builder.Services.AddSingleton(new BlobServiceClient(blobs));
        builder.Services.AddSingleton<BlobStore>();
        builder.Services.AddSingleton<BlobMirror>();
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddSingleton<StorageReadiness>();
        builder.Services.AddHostedService<StorageInitializer>();
        builder.Services.AddHealthChecks().AddCheck<StorageReadiness>("storage-ready");
        return builder;
    }
}

/// <summary>Unhealthy until the migrations ran and the blob containers exist.</summary>
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

/// <summary>Applies migrations and creates containers at start, retrying while the servers come up.</summary>
internal sealed partial class StorageInitializer(
    MigrationRunner migrations, BlobStore blobs, StorageReadiness readiness, ILogger<StorageInitializer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await migrations.ApplyAsync(stoppingToken);
                await blobs.EnsureContainersAsync(stoppingToken);
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
