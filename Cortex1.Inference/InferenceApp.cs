using Cortex1.Data;

namespace Cortex1.Inference;

/// <summary>The web service, built but not run, so tests can start it on a loopback port and call it over HTTP.</summary>
public static class InferenceApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(InferenceApp).Assembly.GetName().Name,
        });
        builder.AddServiceDefaults();
        builder.AddCortex1Blobs();
        builder.AddInference();

        var app = builder.Build();
        app.UseInference();
        app.MapDefaultEndpoints();
        app.MapInference();
        return app;
    }
}
