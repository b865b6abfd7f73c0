using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Cortex1.Data.Jobs;

public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
}

public sealed record Job(
    long Id, string Kind, JsonDocument Payload, string Status, double Progress, string? ProgressMessage,
    string? Error, int Attempts, int MaxAttempts, string? LockedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JsonDocument? Result)
{
    public T PayloadAs<T>(JsonSerializerOptions? options = null) =>
        Payload.Deserialize<T>(options ?? JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException($"Job {Id} has an empty payload.");
}

/// <summary>
/// Jobs as PostgreSQL rows. A claim takes the oldest claimable job with <c>FOR UPDATE SKIP LOCKED</c>
/// and stamps a lease: two workers never claim the same job, and a job whose worker died (its lease
/// ran out without a heartbeat) is claimed again. Every later write is fenced on the claiming
/// worker, so a worker that lost its lease cannot overwrite the new owner's progress.
/// </summary>
public sealed class JobQueue(NpgsqlDataSource db)
{
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(60);

    private const string Columns =
        "id, kind, payload, status, progress, progress_message, error, attempts, max_attempts, locked_by, created_at, started_at, finished_at, result";

    public async Task<long> EnqueueAsync<T>(string kind, T payload, int maxAttempts = 3, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand(
            "INSERT INTO jobs (kind, payload, max_attempts) VALUES (@kind, @payload, @max) RETURNING id");
        cmd.Parameters.AddWithValue("kind", kind);
        cmd.Parameters.AddWithValue("payload", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(payload, JsonSerializerOptions.Web));
        cmd.Parameters.AddWithValue("max", maxAttempts);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Enqueues a job already claimed by <paramref name="worker"/> (its first attempt), in one statement: a command line
    /// that runs the job it creates cannot lose it to a service worker polling the queue in between.
    /// </summary>
    public async Task<Job> EnqueueClaimedAsync<T>(string kind, T payload, string worker, int maxAttempts = 3, TimeSpan? lease = null,
        CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"""
            INSERT INTO jobs (kind, payload, max_attempts, status, attempts, locked_by, lease_until, started_at)
            VALUES (@kind, @payload, @max, 'running', 1, @worker, now() + @lease, now())
            RETURNING {Columns}
            """);
        cmd.Parameters.AddWithValue("kind", kind);
        cmd.Parameters.AddWithValue("payload", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(payload, JsonSerializerOptions.Web));
        cmd.Parameters.AddWithValue("max", maxAttempts);
        cmd.Parameters.AddWithValue("worker", worker);
        cmd.Parameters.AddWithValue("lease", lease ?? DefaultLease);
        return (await ReadOne(cmd, ct))!;
    }

    /// <summary>
    /// Claims the oldest job of one of <paramref name="kinds"/>, or returns null when none is claimable. On the way it
    /// fails the jobs whose worker died on their last attempt (lease expired, no attempt left): nothing could claim them
    /// again, so without this they would show "running" for ever.
    /// </summary>
    public Task<Job?> ClaimAsync(string worker, IReadOnlyCollection<string> kinds, TimeSpan? lease = null, CancellationToken ct = default) =>
        Claim(worker, kinds, null, lease, ct);

    /// <summary>
    /// Claims job <paramref name="id"/> if it is claimable (queued, or running with an expired lease, with attempts
    /// left), or returns null: a command line runs the job it queued itself rather than the oldest in the queue.
    /// </summary>
    public Task<Job?> ClaimAsync(long id, string worker, string kind, TimeSpan? lease = null, CancellationToken ct = default) =>
        Claim(worker, [kind], id, lease, ct);

    private async Task<Job?> Claim(string worker, IReadOnlyCollection<string> kinds, long? id, TimeSpan? lease, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            WITH abandoned AS (
                UPDATE jobs SET status = 'failed', finished_at = now(), updated_at = now(), lease_until = NULL,
                       error = coalesce(error, 'The worker stopped during the last attempt (its lease expired).')
                WHERE kind = ANY(@kinds) AND status = 'running' AND lease_until < now() AND attempts >= max_attempts)
            UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = @worker,
                   lease_until = now() + @lease, started_at = coalesce(started_at, now()), updated_at = now(), error = NULL
            WHERE id = (
                SELECT id FROM jobs
                WHERE kind = ANY(@kinds) AND attempts < max_attempts AND (@id::bigint IS NULL OR id = @id)
                  AND (status = 'queued' OR (status = 'running' AND lease_until < now()))
                ORDER BY id
                FOR UPDATE SKIP LOCKED
                LIMIT 1)
            RETURNING {Columns}
            """);
        cmd.Parameters.AddWithValue("worker", worker);
        cmd.Parameters.AddWithValue("kinds", kinds.ToArray());
        cmd.Parameters.AddWithValue("lease", lease ?? DefaultLease);
        cmd.Parameters.AddWithValue("id", NpgsqlDbType.Bigint, (object?)id ?? DBNull.Value);
        return await ReadOne(cmd, ct);
    }

    /// <summary>Renews the lease and records progress. False when this worker no longer owns the job.</summary>
    public async Task<bool> HeartbeatAsync(long id, string worker, double progress, string? message = null,
        TimeSpan? lease = null, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET progress = @progress, progress_message = coalesce(@message, progress_message),
                   lease_until = now() + @lease, updated_at = now()
            WHERE id = @id AND locked_by = @worker AND status = 'running'
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("worker", worker);
        cmd.Parameters.AddWithValue("progress", Math.Clamp(progress, 0, 1));
        cmd.Parameters.AddWithValue("message", (object?)message ?? DBNull.Value);
        cmd.Parameters.AddWithValue("lease", lease ?? DefaultLease);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Renews the lease only. The runner calls it in the background between progress reports; writing progress here
    /// too would race the handler's own reports and could put back an older value.
    /// </summary>
    public async Task<bool> RenewLeaseAsync(long id, string worker, TimeSpan? lease = null, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET lease_until = now() + @lease, updated_at = now()
            WHERE id = @id AND locked_by = @worker AND status = 'running'
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("worker", worker);
        cmd.Parameters.AddWithValue("lease", lease ?? DefaultLease);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> CompleteAsync<T>(long id, string worker, T? result = default, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET status = 'succeeded', progress = 1, finished_at = now(), updated_at = now(),
                   lease_until = NULL, result = @result
            WHERE id = @id AND locked_by = @worker AND status = 'running'
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("worker", worker);
        cmd.Parameters.AddWithValue("result", NpgsqlDbType.Jsonb,
            result is null ? DBNull.Value : JsonSerializer.Serialize(result, JsonSerializerOptions.Web));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Records a failure. A retryable failure goes back to the queue while attempts remain; a final
    /// one (bad input, a rejected key) fails the job at once.
    /// </summary>
    public async Task<bool> FailAsync(long id, string worker, string error, bool retryable, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET error = @error, updated_at = now(), lease_until = NULL,
                   status = CASE WHEN @retryable AND attempts < max_attempts THEN 'queued' ELSE 'failed' END,
                   finished_at = CASE WHEN @retryable AND attempts < max_attempts THEN NULL ELSE now() END,
                   locked_by = CASE WHEN @retryable AND attempts < max_attempts THEN NULL ELSE locked_by END
            WHERE id = @id AND locked_by = @worker AND status = 'running'
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("worker", worker);
        cmd.Parameters.AddWithValue("error", error);
        cmd.Parameters.AddWithValue("retryable", retryable);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Gives a job back unfinished (its worker is shutting down or was interrupted): it is queued again at once, not
    /// after its lease runs out, and the attempt is not counted, since nothing failed. Progress and the handler's own
    /// records stay, so the next claim resumes it.
    /// </summary>
    public async Task<bool> ReleaseAsync(long id, string worker, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET status = 'queued', locked_by = NULL, lease_until = NULL, updated_at = now(),
                   attempts = greatest(attempts - 1, 0)
            WHERE id = @id AND locked_by = @worker AND status = 'running'
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("worker", worker);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Cancels a job that has not finished: a queued one is never claimed; a running one's worker has its next
    /// heartbeat and lease renewal refused, stops, and can write nothing more. False when the job had already ended.
    /// </summary>
    public async Task<bool> CancelAsync(long id, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET status = 'canceled', finished_at = now(), updated_at = now(), lease_until = NULL
            WHERE id = @id AND status IN ('queued', 'running')
            """);
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Queues a failed or canceled job again with its attempts reset, keeping its id, payload and the handler's own
    /// records (checkpoints, stored examples), so the next claim resumes it. False when the job is not finished badly.
    /// </summary>
    public async Task<bool> RequeueAsync(long id, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET status = 'queued', attempts = 0, locked_by = NULL, lease_until = NULL, finished_at = NULL,
                   updated_at = now()
            WHERE id = @id AND status IN ('failed', 'canceled')
            """);
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<Job?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"SELECT {Columns} FROM jobs WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await ReadOne(cmd, ct);
    }

    public async Task<IReadOnlyList<Job>> ListAsync(string? kind = null, int limit = 50, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand(
            $"SELECT {Columns} FROM jobs WHERE (@kind::text IS NULL OR kind = @kind) ORDER BY id DESC LIMIT @limit");
        cmd.Parameters.AddWithValue("kind", NpgsqlDbType.Text, (object?)kind ?? DBNull.Value);
        cmd.Parameters.AddWithValue("limit", limit);
        var list = new List<Job>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    private static async Task<Job?> ReadOne(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static Job Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), JsonDocument.Parse(r.GetString(2)), r.GetString(3), r.GetDouble(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetInt32(7), r.GetInt32(8),
        r.IsDBNull(9) ? null : r.GetString(9), r.GetFieldValue<DateTimeOffset>(10),
        r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
        r.IsDBNull(13) ? null : JsonDocument.Parse(r.GetString(13)));
}
