using System.Text.Json;
using Cortex1.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Cortex1.Synth.Generation;

/// <summary>A run as stored (table <c>synth_runs</c>).</summary>
public sealed record SynthRun(long Id, string Dataset, string Version, SynthRunRequest Request, long? JobId, string Status,
    int Planned, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

/// <summary>One stored example row without its JSON body (what the dataset builder selects on).</summary>
public sealed record StoredExample(string Key, Split Split, TaskKind Kind, MarketCondition Condition, DateOnly WindowStart,
    DateOnly WindowEnd, string AnswerHash, double RewardTotal, bool Accepted);

/// <summary>A catalogued data set (table <c>datasets</c>).</summary>
public sealed record DatasetEntry(string Name, string Version, long? RunId, string Teacher, double QualityGate,
    int TrainCount, int EvalCount, string Prefix, DateTimeOffset CreatedAt);

/// <summary>
/// PostgreSQL access for generation (migration 003_synth.sql). Each example is inserted the moment it
/// is scored, keyed by (run, task key) with ON CONFLICT DO NOTHING: a killed run loses at most the
/// examples in flight, and a resumed one never writes an example twice.
/// </summary>
public sealed class SynthStore(NpgsqlDataSource db)
{
    private const string RunColumns = "id, dataset, version, request, job_id, status, planned, error, created_at, finished_at";

    /// <summary>Creates the run for (name, version), or returns the existing one (so a rerun resumes it).</summary>
    public async Task<(SynthRun Run, bool Created)> CreateOrGetRunAsync(SynthRunRequest request, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            INSERT INTO synth_runs (dataset, version, request) VALUES (@dataset, @version, @request)
            ON CONFLICT (dataset, version) DO NOTHING RETURNING {RunColumns}
            """);
        cmd.Parameters.AddWithValue("dataset", request.DatasetName);
        cmd.Parameters.AddWithValue("version", request.DatasetVersion);
        cmd.Parameters.AddWithValue("request", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(request, DatasetJson.Options));
        var created = await ReadRun(cmd, ct);
        if (created is not null) return (created, true);
        return (await GetRunAsync(request.DatasetName, request.DatasetVersion, ct)
            ?? throw new InvalidOperationException("The run vanished between insert and read."), false);
    }

    public async Task<SynthRun?> GetRunAsync(long id, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"SELECT {RunColumns} FROM synth_runs WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await ReadRun(cmd, ct);
    }

    public async Task<SynthRun?> GetRunAsync(string dataset, string version, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"SELECT {RunColumns} FROM synth_runs WHERE dataset = @d AND version = @v");
        cmd.Parameters.AddWithValue("d", dataset);
        cmd.Parameters.AddWithValue("v", version);
        return await ReadRun(cmd, ct);
    }

    public async Task SetJobAsync(long runId, long jobId, CancellationToken ct) =>
        await Exec("UPDATE synth_runs SET job_id = @job, status = 'queued', error = NULL WHERE id = @id", ct, ("id", runId), ("job", jobId));

    public async Task MarkRunningAsync(long runId, int planned, CancellationToken ct) =>
        await Exec("UPDATE synth_runs SET status = 'running', planned = @planned, error = NULL WHERE id = @id", ct, ("id", runId), ("planned", planned));

    public async Task MarkFinishedAsync(long runId, string? error, CancellationToken ct) =>
        await Exec("UPDATE synth_runs SET status = @status, error = @error, finished_at = now() WHERE id = @id", ct,
            ("id", runId), ("status", error is null ? "succeeded" : "failed"), ("error", (object?)error ?? DBNull.Value));

    public async Task<IReadOnlySet<string>> ExistingKeysAsync(long runId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT example_key FROM synth_examples WHERE run_id = @run");
        cmd.Parameters.AddWithValue("run", runId);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) keys.Add(r.GetString(0));
        return keys;
    }

    /// <summary>Stores one scored example; false when the key was already there.</summary>
    public async Task<bool> InsertExampleAsync(long runId, Split split, TrainingExample e, bool accepted, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO synth_examples (run_id, example_key, split, kind, condition, chain, window_start, window_end,
                                        teacher, answer_hash, reward_total, accepted, example)
            VALUES (@run, @key, @split, @kind, @condition, @chain, @start, @end, @teacher, @hash, @total, @accepted, @example)
            ON CONFLICT (run_id, example_key) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("run", runId);
        cmd.Parameters.AddWithValue("key", e.Id);
        cmd.Parameters.AddWithValue("split", SplitText(split));
        cmd.Parameters.AddWithValue("kind", e.Kind.ToString());
        cmd.Parameters.AddWithValue("condition", e.Condition.ToString());
        cmd.Parameters.AddWithValue("chain", e.Chain);
        cmd.Parameters.AddWithValue("start", e.WindowStart);
        cmd.Parameters.AddWithValue("end", e.WindowEnd);
        cmd.Parameters.AddWithValue("teacher", e.Teacher);
        cmd.Parameters.AddWithValue("hash", StableHash.Digest(Normalize(e.Answer)));
        cmd.Parameters.AddWithValue("total", e.Reward.Total);
        cmd.Parameters.AddWithValue("accepted", accepted);
        cmd.Parameters.AddWithValue("example", NpgsqlDbType.Jsonb, DatasetJson.ToLine(e));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<StoredExample>> ListExamplesAsync(long runId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT example_key, split, kind, condition, window_start, window_end, answer_hash, reward_total, accepted
            FROM synth_examples WHERE run_id = @run ORDER BY example_key
            """);
        cmd.Parameters.AddWithValue("run", runId);
        var list = new List<StoredExample>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new StoredExample(r.GetString(0), ParseSplit(r.GetString(1)), Enum.Parse<TaskKind>(r.GetString(2)),
                Enum.Parse<MarketCondition>(r.GetString(3)), r.GetFieldValue<DateOnly>(4), r.GetFieldValue<DateOnly>(5),
                r.GetString(6), r.GetDouble(7), r.GetBoolean(8)));
        return list;
    }

    /// <summary>The full examples for <paramref name="keys"/>, in the order given.</summary>
    public async Task<IReadOnlyList<TrainingExample>> ReadExamplesAsync(long runId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT example_key, example::text FROM synth_examples WHERE run_id = @run AND example_key = ANY(@keys)");
        cmd.Parameters.AddWithValue("run", runId);
        cmd.Parameters.AddWithValue("keys", keys.ToArray());
        var byKey = new Dictionary<string, TrainingExample>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) byKey[r.GetString(0)] = DatasetJson.FromLine(r.GetString(1));
        return [.. keys.Select(k => byKey[k])];
    }

    public async Task<IReadOnlyList<ExampleReward>> RewardsAsync(long runId, bool accepted, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT example->'reward' FROM synth_examples WHERE run_id = @run AND accepted = @accepted");
        cmd.Parameters.AddWithValue("run", runId);
        cmd.Parameters.AddWithValue("accepted", accepted);
        var list = new List<ExampleReward>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(JsonSerializer.Deserialize<ExampleReward>(r.GetString(0), DatasetJson.Options)!);
        return list;
    }

    public async Task CatalogueAsync(DatasetEntry entry, DatasetManifest manifest, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO datasets (name, version, run_id, teacher, quality_gate, train_count, eval_count, prefix, manifest)
            VALUES (@name, @version, @run, @teacher, @gate, @train, @eval, @prefix, @manifest)
            ON CONFLICT (name, version) DO UPDATE SET run_id = EXCLUDED.run_id, teacher = EXCLUDED.teacher,
                quality_gate = EXCLUDED.quality_gate, train_count = EXCLUDED.train_count, eval_count = EXCLUDED.eval_count,
                prefix = EXCLUDED.prefix, manifest = EXCLUDED.manifest, created_at = now()
            """);
        cmd.Parameters.AddWithValue("name", entry.Name);
        cmd.Parameters.AddWithValue("version", entry.Version);
        cmd.Parameters.AddWithValue("run", (object?)entry.RunId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("teacher", entry.Teacher);
        cmd.Parameters.AddWithValue("gate", entry.QualityGate);
        cmd.Parameters.AddWithValue("train", entry.TrainCount);
        cmd.Parameters.AddWithValue("eval", entry.EvalCount);
        cmd.Parameters.AddWithValue("prefix", entry.Prefix);
        cmd.Parameters.AddWithValue("manifest", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(manifest, DatasetJson.Options));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<DatasetEntry>> ListDatasetsAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT name, version, run_id, teacher, quality_gate, train_count, eval_count, prefix, created_at
            FROM datasets ORDER BY created_at DESC, name, version
            """);
        var list = new List<DatasetEntry>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new DatasetEntry(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt64(2), r.GetString(3),
                r.GetDouble(4), r.GetInt32(5), r.GetInt32(6), r.GetString(7), r.GetFieldValue<DateTimeOffset>(8)));
        return list;
    }

    public async Task<DatasetManifest?> GetManifestAsync(string name, string version, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT manifest::text FROM datasets WHERE name = @n AND version = @v");
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("v", version);
        return await cmd.ExecuteScalarAsync(ct) is string json ? JsonSerializer.Deserialize<DatasetManifest>(json, DatasetJson.Options) : null;
    }

    /// <summary>Whitespace-insensitive form of an answer, so reformatted copies count as duplicates.</summary>
    public static string Normalize(string answer) => string.Join(' ', answer.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();

    public static string SplitText(Split split) => split == Split.Train ? "train" : "eval";
    private static Split ParseSplit(string s) => s == "train" ? Split.Train : Split.Eval;

    private async Task Exec(string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = db.CreateCommand(sql);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<SynthRun?> ReadRun(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new SynthRun(r.GetInt64(0), r.GetString(1), r.GetString(2),
            JsonSerializer.Deserialize<SynthRunRequest>(r.GetString(3), DatasetJson.Options)!,
            r.IsDBNull(4) ? null : r.GetInt64(4), r.GetString(5), r.GetInt32(6), r.IsDBNull(7) ? null : r.GetString(7),
            r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9));
    }
}
