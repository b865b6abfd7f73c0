using Cortex1.Data.Storage;
using Cortex1.Inference.Adapters;
using Cortex1.Inference.Api;
using Cortex1.Inference.Auth;
using Cortex1.Inference.Engine;
using Cortex1.Inference.Reports;
using Cortex1.Inference.Scheduling;
using Cortex1.Inference.Telemetry;
using Cortex1.Inference.Validation;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference;

public static class InferenceExtensions
{
    /// <summary>The engine host, scheduler, adapters, telemetry and request limits.</summary>
    public static IHostApplicationBuilder AddInference(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.Section)
            .Validate(o => o.MaxBatchSize >= 1, "Inference:MaxBatchSize must be at least 1.")
            .Validate(o => o.MaxQueue >= 0, "Inference:MaxQueue must not be negative.")
            .Validate(o => o.MaxRequestBodyBytes > 0, "Inference:MaxRequestBodyBytes must be positive.")
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<InferenceOptions>>((kestrel, inference) =>
        {
            kestrel.Limits.MaxRequestBodySize = inference.Value.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = RequestHeaders.KestrelCeilingBytes; // the real limit: RequestHeaders
            kestrel.Limits.MaxRequestBufferSize = Math.Max(kestrel.Limits.MaxRequestBufferSize ?? 0, RequestHeaders.KestrelCeilingBytes);
        });

        builder.Services.AddSingleton<InferenceTelemetry>();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddSingleton<BatchScheduler>();
        builder.Services.AddSingleton<AdapterCatalog>();
        builder.Services.AddSingleton<AdapterManager>();
        builder.Services.AddHostedService<ModelLoader>();
        builder.Services.AddHostedService<AdapterWatcher>();
        builder.Services.AddReports();
        builder.Services.AddHealthChecks().AddCheck<ModelHost>("model");
        return builder;
    }

    /// <summary>Errors as OpenAI error objects (outermost, so it sees everything), then the optional API key.</summary>
    public static WebApplication UseInference(this WebApplication app)
    {
        app.UseMiddleware<OpenAiErrorMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        return app;
    }

    public static WebApplication MapInference(this WebApplication app)
    {
        app.MapChatCompletions();
        app.MapCompletions();
        app.MapModels();
        app.MapAdaptersAdmin();
        app.MapReports();
        return app;
    }
}
