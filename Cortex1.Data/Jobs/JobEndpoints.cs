using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cortex1.Data.Jobs;

/// <summary>The two replies every service's job API shares: a queued job (202 with its view and where to poll it), and
/// <c>GET {prefix}/{id}</c> showing a job of one kind (404 for an id of another kind, so one API never shows another's).</summary>
public static class JobEndpoints
{
    public static async Task<IResult> AcceptedAsync(JobQueue queue, long id, string pollPath, CancellationToken ct) =>
        Results.Accepted(pollPath, JobView.From((await queue.GetAsync(id, ct))!));

    /// <param name="pattern">The route, e.g. <c>/runs/{id:long}</c>.</param>
    /// <param name="what">What the kind is called in the 404 ("training run", "export").</param>
    public static RouteHandlerBuilder MapJobStatus(this IEndpointRouteBuilder group, string pattern, string kind, string what) =>
        group.MapGet(pattern, async (long id, JobQueue queue, CancellationToken ct) =>
            await queue.GetAsync(id, ct) is { } job && job.Kind == kind
                ? Results.Ok(JobView.From(job))
                : Results.Problem($"No {what} {id}.", statusCode: StatusCodes.Status404NotFound));
}
