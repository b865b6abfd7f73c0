using Cortex1.Data.Jobs;
using Cortex1.Synth.Generation;

namespace Cortex1.Synth.Api;

/// <summary>
/// <c>POST /api/synth/runs</c> starts (or resumes) a run as a job, <c>GET /api/synth/runs/{id}</c>
/// shows it with its job's progress and its manifest, <c>GET /api/datasets</c> lists the catalogue.
/// </summary>
public static class SynthApi
{
    public static IEndpointRouteBuilder MapSynthApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/synth/runs").WithTags("Synth");
        runs.MapPost("/", StartRun);
        runs.MapGet("/{id:long}", GetRun);
        app.MapGet("/api/datasets", ListDatasets).WithTags("Datasets");
        return app;
    }

    private static async Task<IResult> StartRun(SynthRunRequest? request, SynthRuns runs, CancellationToken ct)
    {
        request ??= new SynthRunRequest();
        if (request.Validate() is { } problem)
            return TypedResults.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid synth run");
        var (run, started) = await runs.StartAsync(request, ct);
        return started
            ? TypedResults.Accepted($"/api/synth/runs/{run.Id}", new { run.Id, run.JobId, run.Dataset, run.Version })
            : TypedResults.Ok(new { run.Id, run.JobId, run.Dataset, run.Version, run.Status, note = "this dataset version already has a run; nothing new started" });
    }

    private static async Task<IResult> GetRun(long id, SynthStore store, JobQueue jobs, CancellationToken ct)
    {
        var run = await store.GetRunAsync(id, ct);
        if (run is null) return TypedResults.Problem($"No synth run {id}.", statusCode: StatusCodes.Status404NotFound);
        var job = run.JobId is { } jobId ? await jobs.GetAsync(jobId, ct) : null;
        var manifest = run.Status == "succeeded" ? await store.GetManifestAsync(run.Dataset, run.Version, ct) : null;
        return TypedResults.Ok(new
        {
            run.Id, run.Dataset, run.Version, run.Status, run.Planned, run.Error, run.Request, run.CreatedAt, run.FinishedAt,
            job = job is null ? null : new { job.Id, job.Status, job.Progress, job.ProgressMessage, job.Attempts, job.Error },
            manifest,
        });
    }

    private static async Task<IResult> ListDatasets(SynthStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListDatasetsAsync(ct));
}
