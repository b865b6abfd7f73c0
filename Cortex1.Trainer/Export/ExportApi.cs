using Cortex1.Data.Jobs;

namespace Cortex1.Trainer.Export;

public static class ExportApi
{
    /// <summary>
    /// <c>POST /api/export</c> queues an export (202 with the job; the same fields as the <c>export</c> command, the
    /// output a prefix under <c>exports/</c>), <c>GET /api/export/{id}</c> shows its state and progress, and
    /// <c>POST /api/export/{id}/cancel</c> stops it (409 when it had already ended).
    /// </summary>
    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/export").WithTags("Export");

        group.MapPost("/", async (ExportJobRequest? request, JobQueue queue, CancellationToken ct) =>
        {
            if ((request is null ? "A JSON body with baseModel is required." : request.Validate()) is { } problem)
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid export");
            // One attempt: an export that failed fails again the same way, and a retry would redo minutes of work.
            var id = await queue.EnqueueAsync(ExportJobRequest.JobKind, request, maxAttempts: 1, ct: ct);
            return await JobEndpoints.AcceptedAsync(queue, id, $"/api/export/{id}", ct);
        });

        group.MapJobStatus("/{id:long}", ExportJobRequest.JobKind, "export");

        group.MapPost("/{id:long}/cancel", async (long id, JobQueue queue, CancellationToken ct) =>
        {
            if (await queue.GetAsync(id, ct) is not { Kind: ExportJobRequest.JobKind })
                return Results.Problem($"No export {id}.", statusCode: StatusCodes.Status404NotFound);
            var canceled = await queue.CancelAsync(id, ct);
            var job = JobView.From((await queue.GetAsync(id, ct))!);
            return canceled ? Results.Ok(job) : Results.Conflict(job);
        });

        return app;
    }
}
