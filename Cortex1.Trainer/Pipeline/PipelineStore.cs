using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Cortex1.Trainer.Pipeline;

/// <summary>The pipeline's stages in PostgreSQL (table <c>pipeline_stages</c>, migration 012), read joined with their jobs.</summary>
public sealed class PipelineStore(NpgsqlDataSource db)
{
    /// <summary>
    /// Starts a walk of the plan: every stage of it waiting again (each keeps its last job, so a job still running is
    /// waited on rather than queued twice), stages no longer in the plan gone.
    /// </summary>
    public async Task BeginAsync(string pipeline, IReadOnlyList<PipelineStage> stages, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var delete = new NpgsqlCommand("DELETE FROM pipeline_stages WHERE pipeline = @p AND NOT (stage = ANY(@stages))", conn, tx))
        {
            delete.Parameters.AddWithValue("p", pipeline);
            delete.Parameters.AddWithValue("stages", stages.Select(s => s.Name).ToArray());
            await delete.ExecuteNonQueryAsync(ct);
        }
        for (var i = 0; i < stages.Count; i++)
        {
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO pipeline_stages (pipeline, stage, position, service) VALUES (@p, @stage, @pos, @service)
                ON CONFLICT (pipeline, stage) DO UPDATE SET position = @pos, service = @service, state = 'waiting', message = NULL,
                    error = NULL, started_at = NULL, finished_at = NULL, updated_at = now()
                """, conn, tx);
            upsert.Parameters.AddWithValue("p", pipeline);
            upsert.Parameters.AddWithValue("stage", stages[i].Name);
            upsert.Parameters.AddWithValue("pos", i);
            upsert.Parameters.AddWithValue("service", stages[i].Service);
            await upsert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    public Task RunningAsync(string pipeline, string stage, string message, CancellationToken ct) =>
        Exec("UPDATE pipeline_stages SET state = 'running', message = @m, started_at = coalesce(started_at, now()), updated_at = now() WHERE pipeline = @p AND stage = @s",
            pipeline, stage, ct, ("m", message));

    public Task JobAsync(string pipeline, string stage, long jobId, CancellationToken ct) =>
        Exec("UPDATE pipeline_stages SET job_id = @job, updated_at = now() WHERE pipeline = @p AND stage = @s", pipeline, stage, ct, ("job", jobId));

    public Task DoneAsync(string pipeline, string stage, object? output, string message, CancellationToken ct) =>
        Exec("""
            UPDATE pipeline_stages SET state = 'done', output = @output, message = @m, error = NULL,
                   started_at = coalesce(started_at, now()), finished_at = now(), updated_at = now()
            WHERE pipeline = @p AND stage = @s
            """, pipeline, stage, ct, ("m", message),
            ("output", new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(output, JsonSerializerOptions.Web) }));

    public Task FailedAsync(string pipeline, string stage, string error, CancellationToken ct) =>
        Exec("UPDATE pipeline_stages SET state = 'failed', error = @e, finished_at = now(), updated_at = now() WHERE pipeline = @p AND stage = @s",
            pipeline, stage, ct, ("e", error));

    /// <summary>The last job recorded for a stage (null when it never queued one).</summary>
    public async Task<long?> JobOfAsync(string pipeline, string stage, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT job_id FROM pipeline_stages WHERE pipeline = @p AND stage = @s");
        cmd.Parameters.AddWithValue("p", pipeline);
        cmd.Parameters.AddWithValue("s", stage);
        return await cmd.ExecuteScalarAsync(ct) as long?;
    }

    /// <summary>The stages in plan order, a running stage's progress and message taken live from its job.</summary>
    public async Task<IReadOnlyList<PipelineStageView>> ReadAsync(string pipeline, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT s.stage, s.service, s.state, s.message, s.error, s.job_id, s.output::text, s.started_at, s.finished_at,
                   j.progress, j.progress_message
            FROM pipeline_stages s LEFT JOIN jobs j ON j.id = s.job_id
            WHERE s.pipeline = @p ORDER BY s.position
            """);
        cmd.Parameters.AddWithValue("p", pipeline);
        var list = new List<PipelineStageView>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var state = r.GetString(2);
            var jobProgress = r.IsDBNull(9) ? (double?)null : r.GetDouble(9);
            var (progress, message) = state switch
            {
                PipelineStates.Done => (1.0, r.IsDBNull(3) ? null : r.GetString(3)),
                PipelineStates.Running when jobProgress is { } p => (p, r.IsDBNull(10) ? (r.IsDBNull(3) ? null : r.GetString(3)) : r.GetString(10)),
                _ => (0.0, r.IsDBNull(3) ? null : r.GetString(3)),
            };
            list.Add(new PipelineStageView(r.GetString(0), r.GetString(1), state, progress, message, r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : JsonDocument.Parse(r.GetString(6)).RootElement.Clone(),
                r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8)));
        }
        return list;
    }

    private async Task Exec(string sql, string pipeline, string stage, CancellationToken ct, params (string Name, object Value)[] values)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.AddWithValue("p", pipeline);
        cmd.Parameters.AddWithValue("s", stage);
        foreach (var (name, value) in values)
        {
            if (value is NpgsqlParameter parameter)
            {
                parameter.ParameterName = name;
                cmd.Parameters.Add(parameter);
            }
            else cmd.Parameters.AddWithValue(name, value);
        }
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
