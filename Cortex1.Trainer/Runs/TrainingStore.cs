using System.Text.Json;
using Cortex1.Trainer.Grpo;
using Npgsql;
using NpgsqlTypes;

namespace Cortex1.Trainer.Runs;

public sealed record TrainingCheckpoint(string Phase, int Step, string BlobPrefix);

public sealed record TrainingStepRow(string Phase, int Step, double Loss, double? RewardMean, double? Kl, double Seconds);

/// <summary>Training runs, their per-step metrics and checkpoints in PostgreSQL.</summary>
public sealed class TrainingStore(NpgsqlDataSource db)
{
    public async Task EnsureRunAsync(long jobId, TrainingRunRequest request, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO training_runs (job_id, name, dataset, version, base_model, request)
            VALUES (@job, @name, @dataset, @version, @base, @request)
            ON CONFLICT (job_id) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("job", jobId);
        cmd.Parameters.AddWithValue("name", request.Name);
        cmd.Parameters.AddWithValue("dataset", request.Dataset);
        cmd.Parameters.AddWithValue("version", request.Version);
        cmd.Parameters.AddWithValue("base", request.BaseModel);
        cmd.Parameters.AddWithValue("request", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(request, JsonSerializerOptions.Web));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The job of the run that uses this adapter name, or null when the name is free.</summary>
    public async Task<long?> JobOfAsync(string name, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT job_id FROM training_runs WHERE name = @name");
        cmd.Parameters.AddWithValue("name", name);
        return await cmd.ExecuteScalarAsync(ct) as long?;
    }

    public Task RecordSftStepAsync(long jobId, int step, double loss, double seconds, CancellationToken ct) =>
        Insert(jobId, "sft", step, loss, null, null, null, null, null, null, seconds, ct);

    public Task RecordGrpoStepAsync(long jobId, GrpoStepMetrics m, CancellationToken ct) =>
        Insert(jobId, "grpo", m.Step, m.Loss, m.PolicyLoss, m.Kl, m.ClipRatio, m.RewardMean, m.RewardStd, m.CompletionTokensMean, m.Seconds, ct);

    public async Task RecordCheckpointAsync(long jobId, TrainingCheckpoint checkpoint, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO training_checkpoints (job_id, phase, step, blob_prefix) VALUES (@job, @phase, @step, @prefix)
            ON CONFLICT (job_id, phase, step) DO UPDATE SET blob_prefix = excluded.blob_prefix
            """);
        cmd.Parameters.AddWithValue("job", jobId);
        cmd.Parameters.AddWithValue("phase", checkpoint.Phase);
        cmd.Parameters.AddWithValue("step", checkpoint.Step);
        cmd.Parameters.AddWithValue("prefix", checkpoint.BlobPrefix);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The last checkpoint of a run: SFT steps come before GRPO steps.</summary>
    public async Task<TrainingCheckpoint?> LatestCheckpointAsync(long jobId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT phase, step, blob_prefix FROM training_checkpoints WHERE job_id = @job
            ORDER BY (phase = 'grpo') DESC, step DESC LIMIT 1
            """);
        cmd.Parameters.AddWithValue("job", jobId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new TrainingCheckpoint(r.GetString(0), r.GetInt32(1), r.GetString(2)) : null;
    }

    public async Task<IReadOnlyList<TrainingStepRow>> StepsAsync(long jobId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT phase, step, loss, reward_mean, kl, seconds FROM training_steps WHERE job_id = @job
            ORDER BY (phase = 'grpo'), step
            """);
        cmd.Parameters.AddWithValue("job", jobId);
        var rows = new List<TrainingStepRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new(r.GetString(0), r.GetInt32(1), r.GetDouble(2), r.IsDBNull(3) ? null : r.GetDouble(3),
                r.IsDBNull(4) ? null : r.GetDouble(4), r.GetDouble(5)));
        return rows;
    }

    private async Task Insert(long jobId, string phase, int step, double loss, double? policyLoss, double? kl, double? clip,
        double? rewardMean, double? rewardStd, double? tokens, double seconds, CancellationToken ct)
    {
        // A step that ran again after a resume keeps its first record.
        await using var cmd = db.CreateCommand("""
            INSERT INTO training_steps (job_id, phase, step, loss, policy_loss, kl, clip_ratio, reward_mean, reward_std, completion_tokens, seconds)
            VALUES (@job, @phase, @step, @loss, @policy, @kl, @clip, @rmean, @rstd, @tokens, @seconds)
            ON CONFLICT (job_id, phase, step) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("job", jobId);
        cmd.Parameters.AddWithValue("phase", phase);
        cmd.Parameters.AddWithValue("step", step);
        cmd.Parameters.AddWithValue("loss", loss);
        cmd.Parameters.AddWithValue("policy", (object?)policyLoss ?? DBNull.Value);
        cmd.Parameters.AddWithValue("kl", (object?)kl ?? DBNull.Value);
        cmd.Parameters.AddWithValue("clip", (object?)clip ?? DBNull.Value);
        cmd.Parameters.AddWithValue("rmean", (object?)rewardMean ?? DBNull.Value);
        cmd.Parameters.AddWithValue("rstd", (object?)rewardStd ?? DBNull.Value);
        cmd.Parameters.AddWithValue("tokens", (object?)tokens ?? DBNull.Value);
        cmd.Parameters.AddWithValue("seconds", seconds);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
