using Cortex1.Data.Storage;
using Cortex1.Inference.Engine;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Adapters;

/// <summary>
/// Once the model is up, scans for new adapters every <see cref="InferenceOptions.AdapterPollSeconds"/>, and publishes
/// what it serves (<see cref="ServingStatus"/>) when that changes.
/// </summary>
public sealed partial class AdapterWatcher(
    IOptions<InferenceOptions> options, ModelHost host, AdapterManager adapters, AdapterCatalog catalog, BlobStore blobs,
    ILogger<AdapterWatcher> logger) : BackgroundService
{
    private string? _published;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Max(0.1, options.Value.AdapterPollSeconds));
        using var timer = new PeriodicTimer(period);
        do
        {
            if (!host.IsReady) continue;
            try
            {
                await adapters.SyncAsync(stoppingToken);
                await PublishAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogScanFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PublishAsync(CancellationToken ct)
    {
        var served = catalog.Adapters.Select(a => a.Name).ToList();
        var key = $"{host.Name}|{string.Join(',', served)}";
        if (key == _published) return;
        await ServingStatus.WriteAsync(blobs, Environment.MachineName.ToLowerInvariant(), new ServingStatus(host.Name!, served, DateTimeOffset.UtcNow), ct);
        _published = key;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adapter scan failed; trying again at the next poll")]
    private static partial void LogScanFailed(ILogger logger, Exception e);
}
