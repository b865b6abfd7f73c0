using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Cross-cutting defaults every Cortex1 service shares: OpenTelemetry, health checks, service
/// discovery and the standard resilience pipeline on every HttpClient (timeouts, retries with
/// backoff on 429/5xx honouring Retry-After, circuit breaker).
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>
    /// Set to true to serve every metric (OTLP's too) in Prometheus's text format at <see cref="PrometheusPath"/>,
    /// for operators who scrape rather than run a collector. Off by default: a service that exposes it puts it
    /// behind its own authentication (Inference: its API key).
    /// </summary>
    public const string PrometheusSetting = "Metrics:Prometheus";
    public const string PrometheusPath = "/metrics";

    /// <summary>Meter and activity source names of Cortex1's own instrumentation.</summary>
    public const string TelemetryPrefix = "Cortex1.";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddOpenApi();
        // Every SQL command at Information (the job workers poll each second) buried the services' own logs.
        builder.Logging.AddFilter("Npgsql.Command", LogLevel.Warning);
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix + "*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix + "*")
                .AddAspNetCoreInstrumentation(o =>
                    // Health probes would drown the traces the user is looking for.
                    o.Filter = ctx => !ctx.Request.Path.StartsWithSegments(HealthEndpointPath)
                                   && !ctx.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        if (builder.Configuration.GetValue<bool>(PrometheusSetting))
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter());

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        builder.Services.AddSingleton<HealthLogging>();
        builder.Logging.AddFilter(HealthLogging.HealthCheckServiceCategory, LogLevel.None);
        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // All checks must pass for /health; only the liveness check for /alive.
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = app.Services.GetRequiredService<HealthLogging>().WriteAsync });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        if (app.Configuration.GetValue<bool>(PrometheusSetting))
            app.MapPrometheusScrapingEndpoint(PrometheusPath);
        // Every service's API described at /openapi/v1.json (the dashboard links it).
        app.MapOpenApi();
        return app;
    }

    /// <summary>
    /// Drops the standard resilience handler <see cref="AddServiceDefaults{TBuilder}"/> puts on every client,
    /// for an upstream that needs its own (longer timeouts, its own retry rules). Stacking a second
    /// handler instead would multiply retries and keep the default 30 s total timeout. The API is
    /// marked experimental (EXTEXP0001) but is the documented way to do exactly this.
    /// </summary>
    public static IHttpClientBuilder WithoutDefaultResilience(this IHttpClientBuilder http)
    {
#pragma warning disable EXTEXP0001
        return http.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
    }
}
