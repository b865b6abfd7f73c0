using Cortex1.Data;
using Cortex1.Ingest.MarketApi;
using Cortex1.Ingest.Runs;

namespace Cortex1.Ingest;

/// <summary>The web service, built but not run: market data in PostgreSQL, its API and the ingest jobs.</summary>
public static class IngestApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddCortex1Database();
        builder.AddIngest();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapMarketApi();
        app.MapIngestApi();
        return app;
    }
}
