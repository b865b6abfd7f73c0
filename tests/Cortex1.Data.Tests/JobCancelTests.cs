using Cortex1.Data.Jobs;
using Cortex1.TestSupport;

namespace Cortex1.Data.Tests;

/// <summary>A cancelled job: a queued one is never claimed; a running one's worker is refused every later write; a finished one cannot be cancelled.</summary>
public sealed class JobCancelTests
{
    [Fact]
    public async Task A_cancelled_job_is_never_claimed_and_its_worker_can_write_nothing_more()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var kind = $"cancel-{Guid.NewGuid():N}";

        var queued = await queue.EnqueueAsync(kind, new { n = 1 });
        Assert.True(await queue.CancelAsync(queued));
        Assert.Null(await queue.ClaimAsync("w", [kind]));
        Assert.Equal(JobStatus.Canceled, (await queue.GetAsync(queued))!.Status);

        var running = await queue.EnqueueAsync(kind, new { n = 2 });
        Assert.Equal(running, (await queue.ClaimAsync("w", [kind]))!.Id);
        Assert.True(await queue.CancelAsync(running));
        Assert.False(await queue.HeartbeatAsync(running, "w", 0.5, "still going"));
        Assert.False(await queue.RenewLeaseAsync(running, "w"));
        Assert.False(await queue.CompleteAsync(running, "w", new { done = true }));
        Assert.False(await queue.FailAsync(running, "w", "boom", retryable: true));
        var job = (await queue.GetAsync(running))!;
        Assert.Equal((JobStatus.Canceled, (string?)null, (System.Text.Json.JsonDocument?)null), (job.Status, job.ProgressMessage, job.Result));
        Assert.NotNull(job.FinishedAt);

        Assert.False(await queue.CancelAsync(running));   // already ended
        var done = await queue.EnqueueAsync(kind, new { n = 3 });
        Assert.Equal(done, (await queue.ClaimAsync("w", [kind]))!.Id);
        Assert.True(await queue.CompleteAsync(done, "w", new { ok = 1 }));
        Assert.False(await queue.CancelAsync(done));
        Assert.Equal(JobStatus.Succeeded, (await queue.GetAsync(done))!.Status);
    }
}
