using Cortex1.Data.Jobs;
using Cortex1.Data.Market;
using Cortex1.Data.Tracking;
using Cortex1.Ingest.Flipside;
using Cortex1.Ingest.Pipeline;
using Cortex1.Ingest.Runs;

namespace Cortex1.Ingest;

public static class IngestExtensions
{
    /// <summary>What both the CLI and the service need: the market store, the Flipside client and the ingestor.</summary>
    public static IServiceCollection AddIngestCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMarketStore();
        services.AddTrackingStore();   // the ingestor scores tracked forecasts once their day is stored
        services.AddFlipsideClient(configuration);
        services.AddSingleton<MarketIngestor>();
        return services;
    }

    /// <summary>The service: core, the ingest job handler, and the start-up load of the embedded history.</summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddIngestCore(builder.Configuration);
        builder.Services.AddJobHandler<IngestRunHandler>();
        builder.Services.AddHostedService<EmbeddedHistoryAtStartup>();
        return builder;
    }
}
