using System.Text.Json.Serialization;
using Cortex1.Data.Storage;
using Cortex1.Inference.Engine;
using Cortex1.Inference.Validation;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Reports;

/// <summary>
/// The training and evaluation reports, read-only, for the web page: <c>GET /v1/reports</c> lists them and
/// <c>GET /v1/reports/{folder}/{file}</c> returns one file (Markdown, PNG). Under <c>/v1</c>, so the API key guards
/// them like the models they describe.
/// </summary>
public static class ReportsApi
{
    /// <summary>What reports hold. Anything else is sent as bytes to download: never HTML, script or SVG that a browser
    /// would run on this origin.</summary>
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".md"] = "text/markdown; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
        [".csv"] = "text/csv; charset=utf-8",
        [".json"] = "application/json",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
    };

    /// <summary>The store: <see cref="InferenceOptions.ReportsFolder"/> when set, else blob storage when the service has it, else none.</summary>
    public static IServiceCollection AddReports(this IServiceCollection services) =>
        services.AddSingleton<ReportStore>(sp =>
            sp.GetRequiredService<IOptions<InferenceOptions>>().Value.ReportsFolder is { Length: > 0 } folder ? new FolderReports(folder)
            : sp.GetService<BlobStore>() is { } blobs ? new BlobReports(blobs)
            : new NoReports());

    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/reports", async (ReportStore reports, CancellationToken ct) =>
            TypedResults.Json(new ReportList(await reports.ReportsAsync(ct)), ReportsJson.Default.ReportList));
        app.MapGet("/v1/reports/{**path}", async (string path, ReportStore reports, HttpContext http, CancellationToken ct) =>
        {
            var content = await reports.FileAsync(path, ct)
                ?? throw new ApiException(404, $"No report file '{path}'.", "invalid_request_error", "path", "report_not_found");
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return TypedResults.Bytes(content.ToMemory(), type);
        });
        return app;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ReportList))]
internal sealed partial class ReportsJson : JsonSerializerContext;
