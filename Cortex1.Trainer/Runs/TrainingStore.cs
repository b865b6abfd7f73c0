using System.Text.Json;
using Cortex1.Trainer.Grpo;
using Npgsql;
using NpgsqlTypes;

namespace Cortex1.Trainer.Runs;

public sealed record TrainingCheckpoint(string Phase, int Step, string BlobPrefix);

public sealed record TrainingStepRow(string Phase, int Step, double Loss, double? RewardMean, double? Kl, double Seconds)
{
    public double? PolicyLoss { get; init; }
    public double? ClipRatio { get; init; }
    public double? RewardStd { get; init; }
    public IReadOnlyDictionary<string, double>? RewardComponents { get; init; }
    public double? GroupStdMean { get; init; }
    public double? ZeroStdShare { get; init; }
    public double? GradNorm { get; init; }
    public double? CompletionTokens { get; init; }
    public double? TruncatedShare { get; init; }
    public double? LearningRate { get; init; }
}

/// <summary>A held-out evaluation: <c>base</c> step 0 before training, else after <see cref="Step"/> steps of the phase.</summary>
public sealed record TrainingEvalRow(string Phase, int Step, double RewardMean, double RewardStdError, int Prompts,
    IReadOnlyDictionary<string, double> Components);

/// <summary>Training runs, their per-step metrics and checkpoints in PostgreSQL.</summary>
public sealed class TrainingStore(NpgsqlDataSource db)
{
    /// <summary>
    /// Records the run of <paramref name="jobId"/> under its name. A run of that name whose job failed or was canceled
    /// hands the name over (renamed <c>{name}.failed-{job}</c>, its steps and evaluations kept, its checkpoints dropped: they sit under the name's blob prefix): a corrected run queued
    /// again under the same adapter name. A name held by a run that is under way or succeeded is refused.
    /// </summary>
    public async Task EnsureRunAsync(long jobId, TrainingRunRequest request, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var retire = new NpgsqlCommand("""
            WITH retired AS (
                UPDATE training_runs r SET name = r.name || '.failed-' || r.job_id
                FROM jobs j
                WHERE j.id = r.job_id AND r.name = @name AND r.job_id <> @job AND j.status IN ('failed', 'canceled')
                RETURNING r.job_id)
            -- Its checkpoints live under the name's blob prefix, which the new run overwrites: they can no longer resume it.
            DELETE FROM training_checkpoints c USING retired WHERE c.job_id = retired.job_id
            """, connection, tx))
        {
            retire.Parameters.AddWithValue("name", request.Name);
            retire.Parameters.AddWithValue("job", jobId);
            await retire.ExecuteNonQueryAsync(ct);
        }
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO training_runs (job_id, name, dataset, version, base_model, request)
            VALUES (@job, @name, @dataset, @version, @base, @request)
            ON CONFLICT (job_id) DO NOTHING
            """, connection, tx);
        cmd.Parameters.AddWithValue("job", jobId);
        cmd.Parameters.AddWithValue("name", request.Name);
        cmd.Parameters.AddWithValue("dataset", request.Dataset);
        cmd.Parameters.AddWithValue("version", request.Version);
        cmd.Parameters.AddWithValue("base", request.BaseModel);
        cmd.Parameters.AddWithValue("request", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(request, JsonSerializerOptions.Web));
        try
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new Cortex1.Data.Jobs.PermanentJobException($"The run name '{request.Name}' is taken by a run that is under way or succeeded; choose another name.", e);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>The job of the run that uses this adapter name, or null when the name is free.</summary>
    public async Task<long?> JobOfAsync(string name, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT job_id FROM training_runs WHERE name = @name");
        cmd.Parameters.AddWithValue("name", name);
        return await cmd.ExecuteScalarAsync(ct) as long?;
    }

    public Task RecordSftStepAsync(long jobId, int step, SftStepMetrics m, double seconds, CancellationToken ct) =>
        Insert(jobId, new TrainingStepRow("sft", step, m.Loss, null, null, seconds)
        {
            GradNorm = m.GradNorm, LearningRate = m.LearningRate, CompletionTokens = m.TargetTokensMean,
        }, ct);

    public Task RecordGrpoStepAsync(long jobId, GrpoStepMetrics m, CancellationToken ct) =>
        Insert(jobId, new TrainingStepRow("grpo", m.Step, m.Loss, m.RewardMean, m.Kl, m.Seconds)
        {
            PolicyLoss = m.PolicyLoss, ClipRatio = m.ClipRatio, RewardStd = m.RewardStd, RewardComponents = m.RewardComponents,
            GroupStdMean = m.GroupStdMean, ZeroStdShare = m.ZeroStdGroupShare, GradNorm = m.GradNorm,
            CompletionTokens = m.CompletionTokensMean, TruncatedShare = m.TruncatedShare, LearningRate = m.LearningRate,
        }, ct);

    /// <summary>Records a held-out evaluation once (a resumed run that evaluates the same point again keeps the first).</summary>
    public async Task RecordEvalAsync(long jobId, TrainingEvalRow e, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO training_evals (job_id, phase, step, reward_mean, reward_se, prompts, components)
            VALUES (@job, @phase, @step, @mean, @se, @prompts, @components)
            ON CONFLICT (job_id, phase, step) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("job", jobId);
        cmd.Parameters.AddWithValue("phase", e.Phase);
        cmd.Parameters.AddWithValue("step", e.Step);
        cmd.Parameters.AddWithValue("mean", e.RewardMean);
        cmd.Parameters.AddWithValue("se", e.RewardStdError);
        cmd.Parameters.AddWithValue("prompts", e.Prompts);
        cmd.Parameters.AddWithValue("components", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(e.Components));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A run's held-out evaluations in training order: base, pretrain, SFT, then GRPO, each by step.</summary>
    public async Task<IReadOnlyList<TrainingEvalRow>> EvalsAsync(long jobId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT phase, step, reward_mean, reward_se, prompts, components FROM training_evals WHERE job_id = @job
            ORDER BY CASE phase WHEN 'base' THEN 0 WHEN 'pretrain' THEN 1 WHEN 'sft' THEN 2 ELSE 3 END, step
            """);
        cmd.Parameters.AddWithValue("job", jobId);
        var rows = new List<TrainingEvalRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new(r.GetString(0), r.GetInt32(1), r.GetDouble(2), r.GetDouble(3), r.GetInt32(4), Components(r.GetString(5))!));
        return rows;
    }

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
            SELECT phase, step, loss, reward_mean, kl, seconds, policy_loss, clip_ratio, reward_std, reward_components::text,
                   group_std_mean, zero_std_share, grad_norm, completion_tokens, truncated_share, learning_rate
            FROM training_steps WHERE job_id = @job
            ORDER BY (phase = 'grpo'), step
            """);
        cmd.Parameters.AddWithValue("job", jobId);
        var rows = new List<TrainingStepRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        double? D(int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
        while (await r.ReadAsync(ct))
            rows.Add(new(r.GetString(0), r.GetInt32(1), r.GetDouble(2), D(3), D(4), r.GetDouble(5))
            {
                PolicyLoss = D(6), ClipRatio = D(7), RewardStd = D(8), RewardComponents = r.IsDBNull(9) ? null : Components(r.GetString(9)),
                GroupStdMean = D(10), ZeroStdShare = D(11), GradNorm = D(12), CompletionTokens = D(13), TruncatedShare = D(14), LearningRate = D(15),
            });
        return rows;
    }

    private static Dictionary<string, double>? Components(string json) => JsonSerializer.Deserialize<Dictionary<string, double>>(json);

    private async Task Insert(long jobId, TrainingStepRow s, CancellationToken ct)
    {
        // A step that ran again after a resume keeps its first record.
        await using var cmd = db.CreateCommand("""
            INSERT INTO training_steps (job_id, phase, step, loss, policy_loss, kl, clip_ratio, reward_mean, reward_std, completion_tokens,
                seconds, reward_components, group_std_mean, zero_std_share, grad_norm, truncated_share, learning_rate)
            VALUES (@job, @phase, @step, @loss, @policy, @kl, @clip, @rmean, @rstd, @tokens, @seconds, @components, @gstd, @zstd, @gnorm, @trunc, @lr)
            ON CONFLICT (job_id, phase, step) DO NOTHING
            """);
        void Add(string name, double? value) => cmd.Parameters.AddWithValue(name, (object?)value ?? DBNull.Value);
        cmd.Parameters.AddWithValue("job", jobId);
        cmd.Parameters.AddWithValue("phase", s.Phase);
        cmd.Parameters.AddWithValue("step", s.Step);
        cmd.Parameters.AddWithValue("loss", s.Loss);
        Add("policy", s.PolicyLoss);
        Add("kl", s.Kl);
        Add("clip", s.ClipRatio);
        Add("rmean", s.RewardMean);
        Add("rstd", s.RewardStd);
        Add("tokens", s.CompletionTokens);
        cmd.Parameters.AddWithValue("seconds", s.Seconds);
        cmd.Parameters.AddWithValue("components", NpgsqlDbType.Jsonb,
            s.RewardComponents is null ? DBNull.Value : JsonSerializer.Serialize(s.RewardComponents));
        Add("gstd", s.GroupStdMean);
        Add("zstd", s.ZeroStdShare);
        Add("gnorm", s.GradNorm);
        Add("trunc", s.TruncatedShare);
        Add("lr", s.LearningRate);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
