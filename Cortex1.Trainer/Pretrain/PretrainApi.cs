using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;

namespace Cortex1.Trainer.Pretrain;

public static class PretrainApi
{
    /// <summary><c>POST /api/training/pretrain</c> queues a pretraining run (202 with the job), <c>GET /api/training/pretrain/{id}</c> shows it.</summary>
    public static IEndpointRouteBuilder MapPretrainApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/training/pretrain").WithTags("Training");

        group.MapPost("/", async (PretrainRequest? request, JobQueue queue, BlobStore blobs, CancellationToken ct) =>
        {
            request ??= new PretrainRequest();
            if (request.Validate() is { } problem)
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid pretraining run");
            var corpus = $"{request.Dataset}/{request.Version}/train.jsonl";
            if (!await blobs.ExistsAsync(BlobContainers.Datasets, corpus, ct))
                return Results.Problem($"No corpus at {BlobContainers.Datasets}/{corpus}: generate it with Synth (size corpus) first.",
                    statusCode: StatusCodes.Status400BadRequest, title: "Missing input");
            var id = await queue.EnqueueAsync(PretrainRequest.JobKind, request, ct: ct);
            return await JobEndpoints.AcceptedAsync(queue, id, $"/api/training/pretrain/{id}", ct);
        });

        group.MapJobStatus("/{id:long}", PretrainRequest.JobKind, "pretraining run");

        return app;
    }
}
