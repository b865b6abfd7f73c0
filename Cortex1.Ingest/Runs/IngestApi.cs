using Cortex1.Data.Jobs;
using Cortex1.Ingest.Flipside;
using Microsoft.Extensions.Options;

namespace Cortex1.Ingest.Runs;

public static class IngestApi
{
    /// <summary><c>POST /api/ingest/runs</c> queues a run; <c>GET /api/ingest/runs/{id}</c> shows it.</summary>
    public static IEndpointRouteBuilder MapIngestApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/ingest").WithTags("Ingest");

        group.MapPost("/runs", async (IngestRunRequest request, JobQueue queue, IOptions<FlipsideOptions> flipside, CancellationToken ct) =>
        {
            if (request.Validate() is { } problem)
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid ingest run");
            // Refuse at once rather than queue a job that can only fail.
            if (request.Mode == IngestRunRequest.Fetch && !flipside.Value.HasKey)
                return Results.Problem(new FlipsideNotConfiguredException().Message, statusCode: StatusCodes.Status400BadRequest,
                    title: "Flipside is not configured");
            var id = await queue.EnqueueAsync(IngestRunHandler.JobKind, request, ct: ct);
            return await JobEndpoints.AcceptedAsync(queue, id, $"/api/ingest/runs/{id}", ct);
        });

        group.MapJobStatus("/runs/{id:long}", IngestRunHandler.JobKind, "ingest run");

        return app;
    }
}
