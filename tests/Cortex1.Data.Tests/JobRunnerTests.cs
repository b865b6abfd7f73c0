using Cortex1.Data.Jobs;
using Cortex1.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cortex1.Data.Tests;

/// <summary>One claimed job run to its end by the runner the service worker and the command lines share.</summary>
public class JobRunnerTests
{
    private sealed record Payload(int N);

    /// <summary>Reports progress once, then works until it is stopped (or fails, when asked to).</summary>
    private sealed class Handler(Func<int, Exception?>? fail = null) : IJobHandler
    {
        public string Kind => "test";

        public async Task<object?> RunAsync(JobContext context, CancellationToken ct)
        {
            await context.ReportProgressAsync(0.25, "a quarter", ct);
            if (fail?.Invoke(context.Job.PayloadAs<Payload>().N) is { } e) throw e;
            if (context.Job.PayloadAs<Payload>().N == 0) return new { answer = 42 };
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        }
    }

    [Fact]
    public async Task AJobStoppedByItsCallerIsGivenBackAtOnceWithoutSpendingAnAttempt()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var id = await queue.EnqueueAsync("test", new Payload(1), maxAttempts: 1);
        var job = (await queue.ClaimAsync(id, "cli", "test"))!;

        using var stop = new CancellationTokenSource();
        var heard = new List<string?>();
        var run = await new JobRunner(queue, NullLogger.Instance).RunAsync(job, new Handler(), "cli", (_, message) =>
        {
            heard.Add(message);
            stop.Cancel();
        }, stop.Token);

        Assert.Equal(JobOutcome.Released, run.Outcome);
        Assert.Equal(["a quarter"], heard);
        var released = (await queue.GetAsync(id))!;
        Assert.Equal((JobStatus.Queued, 0, null), (released.Status, released.Attempts, released.LockedBy));
        Assert.Equal(0.25, released.Progress);   // what was recorded stays
        // With one attempt allowed, only a release that does not count the attempt lets the job be claimed again now.
        Assert.Equal(id, (await queue.ClaimAsync("next", ["test"]))!.Id);
    }

    [Fact]
    public async Task SuccessAndFailureAreRecorded()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var runner = new JobRunner(queue, NullLogger.Instance);
        var handler = new Handler(n => n == 2 ? new PermanentJobException("bad input") : null);

        var done = await queue.EnqueueAsync("test", new Payload(0));
        Assert.Equal(JobOutcome.Succeeded, (await runner.RunAsync((await queue.ClaimAsync(done, "w", "test"))!, handler, "w")).Outcome);
        var succeeded = (await queue.GetAsync(done))!;
        Assert.Equal(JobStatus.Succeeded, succeeded.Status);
        Assert.Equal(42, succeeded.Result!.RootElement.GetProperty("answer").GetInt32());

        var bad = await queue.EnqueueAsync("test", new Payload(2));
        var failed = await runner.RunAsync((await queue.ClaimAsync(bad, "w", "test"))!, handler, "w");
        Assert.Equal(JobOutcome.Failed, failed.Outcome);
        Assert.Equal("bad input", failed.Error!.Message);
        Assert.Equal((JobStatus.Failed, "bad input"), ((await queue.GetAsync(bad))!.Status, (await queue.GetAsync(bad))!.Error));
    }

    [Fact]
    public async Task ClaimingByIdTakesThatJobOnlyAndOnlyWhenItIsClaimable()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var older = await queue.EnqueueAsync("test", new Payload(1));
        var mine = await queue.EnqueueAsync("test", new Payload(2));

        Assert.Equal(mine, (await queue.ClaimAsync(mine, "cli", "test"))!.Id);
        Assert.Null(await queue.ClaimAsync(mine, "other", "test"));        // leased to "cli"
        Assert.Null(await queue.ClaimAsync(older, "cli", "another-kind")); // not of that kind
        Assert.Equal(JobStatus.Queued, (await queue.GetAsync(older))!.Status);
        Assert.False(await queue.ReleaseAsync(mine, "other"));             // only its owner gives it back
        Assert.True(await queue.ReleaseAsync(mine, "cli"));
        Assert.Equal(mine, (await queue.ClaimAsync(mine, "other", "test"))!.Id);
    }

    [Fact]
    public async Task AJobEnqueuedClaimedIsNeverVisibleToAPollingWorker()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var queue = new JobQueue(db);
        var job = await queue.EnqueueClaimedAsync("test", new Payload(3), "cli");
        Assert.Equal((JobStatus.Running, 1, "cli"), (job.Status, job.Attempts, job.LockedBy));
        Assert.Null(await queue.ClaimAsync("service", ["test"]));   // leased from the first instant
        Assert.True(await queue.CompleteAsync(job.Id, "cli", new { ok = true }));
    }
}
