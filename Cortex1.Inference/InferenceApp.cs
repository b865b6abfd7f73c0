using Cortex1.Data;
using Cortex1.Inference.Serve;
using Cortex1.Inference.Web;

namespace Cortex1.Inference;

/// <summary>The web service, built but not run, so tests can start it on a loopback port and call it over HTTP.</summary>
public static class InferenceApp
{
    /// <summary>The service as the AppHost runs it: models, adapters and reports in blob storage.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(InferenceApp).Assembly.GetName().Name,
        });
        builder.AddCortex1Blobs();
        return Build(builder);
    }

    /// <summary>
    /// The service alone (<c>serve</c>): nothing but local folders. The environment and appsettings.json still apply
    /// (<c>Inference__ApiKey</c>), then <paramref name="settings"/>, then the command line's options, which win.
    /// </summary>
    public static WebApplication Build(ServeOptions serve, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(InferenceApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // The command prints why the server could not start (a port in use) in one line; the host's stack trace adds nothing.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host"] = "Critical" });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Configuration.AddInMemoryCollection(serve.Settings());
        builder.WebHost.UseUrls(serve.Url);
        return Build(builder);
    }

    private static WebApplication Build(WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.AddInference();

        var app = builder.Build();
        app.UseInference();
        app.UseWebPage();
        app.MapDefaultEndpoints();
        app.MapInference();
        return app;
    }
}
