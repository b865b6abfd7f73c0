using Microsoft.Extensions.Options;

namespace Cortex1.Trainer.Pipeline;

public static class PipelineApi
{
    /// <summary>
    /// <c>GET /api/pipeline</c>: the pipeline's <c>state</c> (waiting | running | done | failed), each stage's state,
    /// progress, message, error, job and output, and <c>servedModel</c>, the adapter Inference serves once it does.
    /// <c>POST /api/pipeline/runs</c> walks the stages again (done ones are reused; a failed one is retried).
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
        group.MapPost("/runs", (PipelineRunner runner) =>
        {
            runner.RunAgain();
            return Results.Accepted("/api/pipeline", new { pipeline = runner.Pipeline, note = "the stages are walked again; done ones are reused" });
        });
        return app;
    }
}
