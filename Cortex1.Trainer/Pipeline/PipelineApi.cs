using Microsoft.Extensions.Options;

namespace Cortex1.Trainer.Pipeline;

public static class PipelineApi
{
    /// <summary>
    /// <c>GET /api/pipeline</c>: the pipeline's <c>state</c> (waiting | running | done | failed), each stage's state,
    /// progress, message, error, job and output, and <c>servedModel</c>, the adapter Inference serves once it does.
    /// <c>POST /api/pipeline/runs</c> walks the stages again (done ones are reused; a failed one is retried: its job again if unchanged, else a new one).
    /// </summary>
    public static IEndpointRouteBuilder MapPipelineApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/pipeline").WithTags("Pipeline");
        group.MapGet("/", async (PipelineRunner runner, PipelineStore store, PipelinePlan plan, IOptions<PipelineOptions> options, CancellationToken ct) =>
        {
            var stages = await store.ReadAsync(runner.Pipeline, ct);
            var state = PipelineStates.Of([.. stages.Select(s => s.State)]);
            string? Output(string stage, string field) =>
                stages.FirstOrDefault(s => s.Name == stage && s.State == PipelineStates.Done)?.Output is System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Object } o
                && o.TryGetProperty(field, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
            return Results.Ok(new PipelineView(state, runner.Pipeline, options.Value.Enabled, Output(PipelinePlan.Serve, "model"),
                Output(PipelinePlan.Eval, "report"), stages));
        });
        // The latest evaluation report of the pipeline's adapter, for a link that does not change.
        group.MapGet("/report", async (PipelineRunner runner, PipelineStore store, CancellationToken ct) =>
            (await store.ReadAsync(runner.Pipeline, ct)).FirstOrDefault(s => s.Name == PipelinePlan.Eval && s.State == PipelineStates.Done)?.Output
                is System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Object } o && o.TryGetProperty("report", out var r)
                && r.GetString() is { } report && report.StartsWith(Cortex1.Data.Storage.BlobContainers.Reports + "/", StringComparison.Ordinal)
                ? Results.Redirect("/api/" + report)
                : Results.Problem("The pipeline has no evaluation report yet.", statusCode: StatusCodes.Status404NotFound));
        group.MapPost("/runs", (PipelineRunner runner) =>
        {
            runner.RunAgain();
            return Results.Accepted("/api/pipeline", new { pipeline = runner.Pipeline, note = "the stages are walked again; done ones are reused" });
        });
        return app;
    }
}

public static class ReportsApi
{
    /// <summary>
    /// <c>GET /api/reports/{path}</c>: a file of the blob container <c>reports</c> (training curves, evaluation reports
    /// and their plots), so the dashboard can link them; the Markdown's relative image links resolve beside it.
    /// </summary>
    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/reports/{**path}", async (string path, Cortex1.Data.Storage.BlobStore blobs, CancellationToken ct) =>
        {
            var type = Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".png" => "image/png",
                ".md" => "text/markdown; charset=utf-8",
                ".json" => "application/json",
                _ => "text/plain; charset=utf-8",
            };
            try
            {
                var file = Path.Combine(Path.GetTempPath(), $"cortex1-report-{Guid.NewGuid():N}");
                await blobs.DownloadToFileAsync(Cortex1.Data.Storage.BlobContainers.Reports, path, file, ct);
                var bytes = await File.ReadAllBytesAsync(file, ct);
                File.Delete(file);
                return Results.Bytes(bytes, type);
            }
            catch (Exception e) when (e is FileNotFoundException or ArgumentException)
            {
                return Results.Problem($"No report file '{path}'.", statusCode: StatusCodes.Status404NotFound);
            }
        }).WithTags("Reports");
        return app;
    }
}
