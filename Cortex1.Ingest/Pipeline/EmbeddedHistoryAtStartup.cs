using Cortex1.Data;
using Cortex1.Data.Market;
using Cortex1.Ingest.Embedded;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cortex1.Ingest.Pipeline;

/// <summary>
/// <c>Ingest:LoadEmbeddedAtStartup</c>: load the bundled history once the database is migrated, so the
/// app has data out of the box. Default: on when no Flipside key is set. It runs only when no embedded
/// row is stored yet, and the load is an idempotent upsert anyway, so restarts cost nothing.
/// </summary>
public sealed partial class EmbeddedHistoryAtStartup(
    IConfiguration configuration, StorageReadiness readiness, MarketStore store, MarketIngestor ingestor,
    ILogger<EmbeddedHistoryAtStartup> logger) : BackgroundService
{
    public static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue<bool?>("Ingest:LoadEmbeddedAtStartup")
        ?? string.IsNullOrWhiteSpace(configuration["Flipside:ApiKey"]);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!IsEnabled(configuration)) return;
        try
        {
            // Migrations run in the data layer's initializer; wait for it instead of racing it.
            await readiness.WaitUntilReadyAsync(stoppingToken);
            if (await store.HasSourceAsync(EmbeddedHistory.Source, stoppingToken))
            {
                LogAlreadyLoaded(logger);
                return;
            }
            var summary = await ingestor.LoadEmbeddedAsync((p, _) =>
            {
                LogProgress(logger, p.ToString());
                return Task.CompletedTask;
            }, stoppingToken);
            LogLoaded(logger, summary.RawDays, summary.RowsWritten);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded market history already loaded")]
    private static partial void LogAlreadyLoaded(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading embedded history: {Progress}")]
    private static partial void LogProgress(ILogger logger, string progress);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded market history loaded: {Days} days, {Rows} rows")]
    private static partial void LogLoaded(ILogger logger, int days, int rows);

    [LoggerMessage(Level = LogLevel.Error, Message = "Loading the embedded market history failed; POST /api/ingest/runs {{\"mode\":\"load-embedded\"}} retries it")]
    private static partial void LogFailed(ILogger logger, Exception e);
}
