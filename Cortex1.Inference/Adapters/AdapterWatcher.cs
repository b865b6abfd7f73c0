using Cortex1.Inference.Engine;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Adapters;

/// <summary>Once the model is up, scans for new adapters every <see cref="InferenceOptions.AdapterPollSeconds"/>.</summary>
public sealed partial class AdapterWatcher(
    IOptions<InferenceOptions> options, ModelHost host, AdapterManager adapters, ILogger<AdapterWatcher> logger) : BackgroundService
{
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
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogScanFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adapter scan failed; trying again at the next poll")]
    private static partial void LogScanFailed(ILogger logger, Exception e);
}
