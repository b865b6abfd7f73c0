using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;

namespace Cortex1.Trainer.Runs;

public static class TrainingApi
{
    /// <summary>
    /// <c>POST /api/training/runs</c> queues a run, <c>GET /api/training/runs/{id}</c> shows its job and
    /// <c>GET /api/training/runs/{id}/steps</c> its per-step metrics, <c>GET /api/training/runs/{id}/evals</c> its held-out
    /// rewards (before training, every evalEvery steps, at each phase's end).
    /// </summary>
    public static IEndpointRouteBuilder MapTrainingApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/training").WithTags("Training");

        group.MapPost("/runs", async (TrainingRunRequest request, JobQueue queue, TrainingStore store, BlobStore blobs, CancellationToken ct) =>
        {
            if (request.Validate() is { } problem)
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid training run");
            if (await TrainingInputs.ProblemAsync(request, blobs, ct) is { } missing)
                return Results.Problem(missing, statusCode: StatusCodes.Status400BadRequest, title: "Missing input");
            if (await store.JobOfAsync(request.Name, ct) is not null)
                return Results.Problem($"A training run named '{request.Name}' exists already; pick another name.",
                    statusCode: StatusCodes.Status409Conflict, title: "Name taken");
            var id = await queue.EnqueueAsync(TrainingRunRequest.JobKind, request, ct: ct);
            return await JobEndpoints.AcceptedAsync(queue, id, $"/api/training/runs/{id}", ct);
        });

        group.MapJobStatus("/runs/{id:long}", TrainingRunRequest.JobKind, "training run");

        group.MapGet("/runs/{id:long}/steps", async (long id, TrainingStore store, CancellationToken ct) =>
            Results.Ok(await store.StepsAsync(id, ct)));

        group.MapGet("/runs/{id:long}/evals", async (long id, TrainingStore store, CancellationToken ct) =>
            Results.Ok(await store.EvalsAsync(id, ct)));

        return app;
    }
}
