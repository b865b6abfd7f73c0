using Cortex1.Data.Storage;
using Cortex1.Inference.Engine;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Adapters;

/// <summary>
/// As soon as the model is up (so the operator's adapters are served right after it), then every
/// <see cref="InferenceOptions.AdapterPollSeconds"/>, scans for new adapters, and publishes what it serves
/// (<see cref="ServingStatus"/>, read by the Trainer's pipeline) when that changes; <c>serve</c> alone has no blob
/// storage and publishes nothing.
/// </summary>
public sealed partial class AdapterWatcher(
    IOptions<InferenceOptions> options, ModelHost host, AdapterManager adapters, AdapterCatalog catalog,
    ILogger<AdapterWatcher> logger, BlobStore? blobs = null) : BackgroundService
{
    private string? _published;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Max(0.1, options.Value.AdapterPollSeconds));
        try
        {
            if (!await host.Settled.WaitAsync(stoppingToken)) return;   // no model, no adapters
        }
        catch (OperationCanceledException)
        {
            return;
        }
        using var timer = new PeriodicTimer(period);
        do
        {
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
        if (blobs is null) return;
        var adapters = catalog.Adapters;
        var served = adapters.Select(a => a.Name).ToList();
        // A retrained adapter keeps its name but is loaded again: that is a change too, and the Trainer's pipeline counts a
        // status only when it is newer than the adapter's files.
        var key = $"{host.Name}|{string.Join(',', adapters.Select(a => $"{a.Name}@{a.LoadedAt.UtcTicks}"))}";
        if (key == _published) return;
        await ServingStatus.WriteAsync(blobs, Environment.MachineName.ToLowerInvariant(), new ServingStatus(host.Name!, served, DateTimeOffset.UtcNow), ct);
        _published = key;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adapter scan failed; trying again at the next poll")]
    private static partial void LogScanFailed(ILogger logger, Exception e);
}
