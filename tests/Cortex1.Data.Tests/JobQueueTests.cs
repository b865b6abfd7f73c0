using System.Collections.Concurrent;
using Cortex1.Data.Jobs;
using Cortex1.TestSupport;

namespace Cortex1.Data.Tests;

public class JobQueueTests
{
    private sealed record Payload(int N);

    [Fact]
    public async Task TwoConcurrentWorkersClaimEachJobExactlyOnce()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var ids = new List<long>();
        for (var i = 0; i < 40; i++) ids.Add(await queue.EnqueueAsync("test", new Payload(i)));

        var claimed = new ConcurrentBag<(string Worker, long Id)>();
        async Task Work(string worker)
        {
            while (await queue.ClaimAsync(worker, ["test"]) is { } job)
            {
                claimed.Add((worker, job.Id));
                Assert.True(await queue.CompleteAsync(job.Id, worker, new { done = job.PayloadAs<Payload>().N }));
            }
        }
        await Task.WhenAll(Task.Run(() => Work("w1")), Task.Run(() => Work("w2")));

        Assert.Equal(ids.Order(), claimed.Select(c => c.Id).Order());
        Assert.All(await queue.ListAsync("test", 100), j => Assert.Equal(JobStatus.Succeeded, j.Status));
    }

    [Fact]
    public async Task JobOfAWorkerThatDiedIsClaimedAgainAfterItsLease()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var id = await queue.EnqueueAsync("test", new Payload(1));

        var first = await queue.ClaimAsync("dead", ["test"], lease: TimeSpan.FromSeconds(3));
        Assert.Equal(id, first!.Id);
        Assert.Null(await queue.ClaimAsync("alive", ["test"])); // still leased

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var second = await queue.ClaimAsync("alive", ["test"]);
        Assert.Equal(id, second!.Id);
        Assert.Equal(2, second.Attempts);

        // The dead worker's late writes are fenced off.
        Assert.False(await queue.HeartbeatAsync(id, "dead", 0.5));
        Assert.False(await queue.CompleteAsync<object>(id, "dead"));
        Assert.True(await queue.CompleteAsync<object>(id, "alive"));
    }

    [Fact]
    public async Task AJobWhoseWorkerDiedOnItsLastAttemptIsFailedNotLeftRunning()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var id = await queue.EnqueueAsync("test", new Payload(1), maxAttempts: 1);
        Assert.Equal(id, (await queue.ClaimAsync("dead", ["test"], lease: TimeSpan.FromSeconds(1)))!.Id);

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Null(await queue.ClaimAsync("alive", ["test"]));   // no attempt left to give it

        var job = await queue.GetAsync(id);
        Assert.Equal(JobStatus.Failed, job!.Status);
        Assert.NotNull(job.FinishedAt);
        Assert.Contains("lease expired", job.Error);
        Assert.False(await queue.CompleteAsync<object>(id, "dead"));   // the dead worker's late write is fenced off
    }

    [Fact]
    public async Task RetryableFailureRequeuesUntilAttemptsRunOutPermanentFailsAtOnce()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var retried = await queue.EnqueueAsync("test", new Payload(1), maxAttempts: 2);

        var a = await queue.ClaimAsync("w", ["test"]);
        await queue.FailAsync(a!.Id, "w", "flaky", retryable: true);
        Assert.Equal(JobStatus.Queued, (await queue.GetAsync(retried))!.Status);
        var b = await queue.ClaimAsync("w", ["test"]);
        await queue.FailAsync(b!.Id, "w", "flaky again", retryable: true);
        var final = await queue.GetAsync(retried);
        Assert.Equal(JobStatus.Failed, final!.Status);
        Assert.Equal("flaky again", final.Error);

        var permanent = await queue.EnqueueAsync("test", new Payload(2));
        var c = await queue.ClaimAsync("w", ["test"]);
        await queue.FailAsync(c!.Id, "w", "bad key", retryable: false);
        Assert.Equal(JobStatus.Failed, (await queue.GetAsync(permanent))!.Status);
    }

    [Fact]
    public async Task ProgressIsRecordedAndClampedToTheUnitInterval()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var id = await queue.EnqueueAsync("test", new Payload(1));
        await queue.ClaimAsync("w", ["test"]);

        Assert.True(await queue.HeartbeatAsync(id, "w", 0.25, "a quarter"));
        var job = await queue.GetAsync(id);
        Assert.Equal(0.25, job!.Progress);
        Assert.Equal("a quarter", job.ProgressMessage);
        Assert.True(await queue.HeartbeatAsync(id, "w", 7));
        Assert.Equal(1, (await queue.GetAsync(id))!.Progress);
    }
}
