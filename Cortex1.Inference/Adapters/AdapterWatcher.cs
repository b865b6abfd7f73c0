using Cortex1.Inference.Engine;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Adapters;

/// <summary>As soon as the model is up (so the operator's adapters are served right after it), then every
/// <see cref="InferenceOptions.AdapterPollSeconds"/>, scans for new adapters.</summary>
public sealed partial class AdapterWatcher(
    IOptions<InferenceOptions> options, ModelHost host, AdapterManager adapters, ILogger<AdapterWatcher> logger) : BackgroundService
{
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
