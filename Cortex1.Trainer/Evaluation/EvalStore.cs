using System.Text.Json;
using Cortex1.Evaluation;
using Npgsql;
using NpgsqlTypes;

namespace Cortex1.Trainer.Evaluation;

/// <summary>What an evaluation was of: the model, where it was asked, the data set split and the settings.</summary>
public sealed record EvalRequest(string Model, string Endpoint, string Dataset, string Version, string Split, int MaxTokens, double CostBps);

/// <summary>A stored evaluation: its request, the headline numbers and where its report lives.</summary>
public sealed record EvalRunRow(long Id, EvalRequest Request, int Answers, int Forecasts, IReadOnlyDictionary<string, double?> Metrics,
    string ReportPrefix, DateTimeOffset CreatedAt);

/// <summary>PostgreSQL rows of evaluations (tables <c>eval_runs</c> and <c>eval_answers</c>, migration 005).</summary>
public sealed class EvalStore(NpgsqlDataSource db)
{
    /// <summary>The headline metrics, as columns of <c>eval_runs</c> and keys of the command's last line.</summary>
    public static readonly string[] Metrics =
        ["reward", "direction_hit_rate", "persistence_hit_rate", "coverage_90", "mape", "persistence_mape", "sharpe", "buy_and_hold_sharpe"];

    /// <summary>Stores a run and its answers in one transaction; returns the run's id.</summary>
    public async Task<long> InsertAsync(EvalRequest request, EvalSummary summary, IReadOnlyList<AnswerResult> answers,
        Func<long, string> reportPrefix, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        long id;
        await using (var cmd = new NpgsqlCommand("SELECT nextval(pg_get_serial_sequence('eval_runs', 'id'))", conn, tx))
            id = (long)(await cmd.ExecuteScalarAsync(ct))!;
        var values = MetricValues(summary);
        await using (var cmd = new NpgsqlCommand($"""
            INSERT INTO eval_runs (id, model, endpoint, dataset, version, split, max_tokens, cost_bps, answers, forecasts,
                                   {string.Join(", ", Metrics)}, summary, report_prefix)
            VALUES (@id, @model, @endpoint, @dataset, @version, @split, @max_tokens, @cost_bps, @answers, @forecasts,
                    {string.Join(", ", Metrics.Select(m => "@" + m))}, @summary, @prefix)
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("model", request.Model);
            cmd.Parameters.AddWithValue("endpoint", request.Endpoint);
            cmd.Parameters.AddWithValue("dataset", request.Dataset);
            cmd.Parameters.AddWithValue("version", request.Version);
            cmd.Parameters.AddWithValue("split", request.Split);
            cmd.Parameters.AddWithValue("max_tokens", request.MaxTokens);
            cmd.Parameters.AddWithValue("cost_bps", request.CostBps);
            cmd.Parameters.AddWithValue("answers", summary.Answers);
            cmd.Parameters.AddWithValue("forecasts", summary.Scored);
            foreach (var m in Metrics) cmd.Parameters.AddWithValue(m, NpgsqlDbType.Double, (object?)values[m] ?? DBNull.Value);
            cmd.Parameters.AddWithValue("summary", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(summary, EvalJson.Options));
            cmd.Parameters.AddWithValue("prefix", reportPrefix(id));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        foreach (var a in answers)
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO eval_answers (run_id, example_id, chain, window_end, kind, reward, components, forecasts, usable, scored,
                                          hits, directions, mape, strategy_return, buy_and_hold_return, answer)
                VALUES (@run, @id, @chain, @end, @kind, @reward, @components, @forecasts, @usable, @scored,
                        @hits, @directions, @mape, @strategy, @hold, @answer)
                """, conn, tx);
            var ex = a.Answer.Example;
            var points = a.Model.Where(f => f.Ape is not null).ToList();
            cmd.Parameters.AddWithValue("run", id);
            cmd.Parameters.AddWithValue("id", ex.Id);
            cmd.Parameters.AddWithValue("chain", ex.Chain);
            cmd.Parameters.AddWithValue("end", ex.WindowEnd);
            cmd.Parameters.AddWithValue("kind", ex.Kind.ToString());
            cmd.Parameters.AddWithValue("reward", a.Reward.Total);
            cmd.Parameters.AddWithValue("components", NpgsqlDbType.Jsonb,
                JsonSerializer.Serialize(a.Reward.Components.ToDictionary(c => c.Key, c => Math.Round(c.Value.Score, 4))));
            cmd.Parameters.AddWithValue("forecasts", a.Stated.Count);
            cmd.Parameters.AddWithValue("usable", a.Usable);
            cmd.Parameters.AddWithValue("scored", a.Model.Count);
            cmd.Parameters.AddWithValue("hits", a.Model.Count(f => f.Hit == true));
            cmd.Parameters.AddWithValue("directions", a.Model.Count(f => f.Hit is not null));
            cmd.Parameters.AddWithValue("mape", NpgsqlDbType.Double, points.Count > 0 ? points.Average(f => f.Ape!.Value) : DBNull.Value);
            cmd.Parameters.AddWithValue("strategy", NpgsqlDbType.Double, (object?)a.Strategy?.TotalReturn ?? DBNull.Value);
            cmd.Parameters.AddWithValue("hold", NpgsqlDbType.Double, (object?)a.BuyAndHold?.TotalReturn ?? DBNull.Value);
            cmd.Parameters.AddWithValue("answer", a.Answer.Answer);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return id;
    }

    public static IReadOnlyDictionary<string, double?> MetricValues(EvalSummary s)
    {
        double? V(double x) => double.IsNaN(x) || double.IsInfinity(x) ? null : x;
        var persistence = s.Baselines[Cortex1.Evaluation.Baselines.Baselines.Persistence];
        return new Dictionary<string, double?>
        {
            ["reward"] = V(s.Reward),
            ["direction_hit_rate"] = V(s.Model.HitRate),
            ["persistence_hit_rate"] = V(persistence.HitRate),
            ["coverage_90"] = V(s.Model.CoverageAt(0.90)),
            ["mape"] = V(s.Model.Mape),
            ["persistence_mape"] = V(persistence.Mape),
            ["sharpe"] = V(s.Strategy.Sharpe),
            ["buy_and_hold_sharpe"] = V(s.BuyAndHold.Sharpe),
        };
    }

    /// <summary>The answers of run <paramref name="runId"/>, by example id.</summary>
    public async Task<IReadOnlyDictionary<string, string>> AnswersAsync(long runId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT example_id, answer FROM eval_answers WHERE run_id = @id");
        cmd.Parameters.AddWithValue("id", runId);
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) answers[r.GetString(0)] = r.GetString(1);
        return answers;
    }

    /// <summary>A run by id (a number), else the latest run of the model so named.</summary>
    public async Task<EvalRunRow?> FindAsync(string idOrModel, CancellationToken ct)
    {
        var byId = long.TryParse(idOrModel, out var id);
        await using var cmd = db.CreateCommand($"""
            SELECT id, model, endpoint, dataset, version, split, max_tokens, cost_bps, answers, forecasts,
                   {string.Join(", ", Metrics)}, report_prefix, created_at
            FROM eval_runs WHERE {(byId ? "id = @id" : "model = @model")} ORDER BY created_at DESC, id DESC LIMIT 1
            """);
        if (byId) cmd.Parameters.AddWithValue("id", id);
        else cmd.Parameters.AddWithValue("model", idOrModel);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var request = new EvalRequest(r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetDouble(7));
        var metrics = new Dictionary<string, double?>();
        for (int i = 0; i < Metrics.Length; i++) metrics[Metrics[i]] = r.IsDBNull(10 + i) ? null : r.GetDouble(10 + i);
        return new EvalRunRow(r.GetInt64(0), request, r.GetInt32(8), r.GetInt32(9), metrics, r.GetString(10 + Metrics.Length),
            r.GetFieldValue<DateTimeOffset>(11 + Metrics.Length));
    }
}
