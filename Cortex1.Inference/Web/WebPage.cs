using Microsoft.Extensions.FileProviders;

namespace Cortex1.Inference.Web;

/// <summary>
/// The web page at <c>/</c> (index.html, app.js, app.css: plain files, no build step, nothing fetched from elsewhere).
/// The files are compiled into the assembly, so the page is there however the service runs: <c>dotnet run</c>, a test
/// host, a published folder. It talks to the same API any client uses (<c>/v1/models</c>, <c>/v1/chat/completions</c>,
/// <c>/v1/reports</c>), with the API key the user types when the server asks for one.
/// </summary>
public static class WebPage
{
    private static readonly EmbeddedFileProvider Files = new(typeof(WebPage).Assembly, "Cortex1.Inference.wwwroot");

    public static WebApplication UseWebPage(this WebApplication app)
    {
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = Files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Files,
            // Revalidate every time (the ETag makes that cheap), so a new build's page is never mixed with an old script.
            OnPrepareResponse = file =>
            {
                file.Context.Response.Headers.CacheControl = "no-cache";
                file.Context.Response.Headers.XContentTypeOptions = "nosniff";
            },
        });
        return app;
    }
}
