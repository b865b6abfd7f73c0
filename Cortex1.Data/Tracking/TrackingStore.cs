using Cortex1.Domain;
using Cortex1.Evaluation.Forecasts;
using Cortex1.Evaluation.Scoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using NpgsqlTypes;

namespace Cortex1.Data.Tracking;

/// <summary>An answer to track: who made it, on which chain's window, and where it came from (<c>ask</c> or <c>eval:{id}</c>).</summary>
public sealed record TrackedAnswer(string Model, string Endpoint, string Chain, DateOnly WindowEnd, string ExampleId, string Origin, string Answer);

/// <summary>One stored forecast: when it was made and falls due, the close it was made at, and its score once due.</summary>
public sealed record TrackedForecast(long Id, string Model, string Chain, DateOnly WindowEnd, DateOnly Due, Forecast Forecast, double LastClose,
    ScoredForecast? Score, DateTimeOffset MadeAt);

/// <summary>
/// PostgreSQL rows of live prediction tracking (tables <c>track_answers</c> and <c>track_forecasts</c>, migration 011).
/// The Trainer's <c>track</c> command stores forecasts; <see cref="ScoreDueAsync"/> scores those whose due day's close
/// is stored, with <see cref="ScoredForecast.Of"/> (the evaluation's scoring, so a tracked forecast and an evaluated
/// one score alike). Ingest calls it after every upsert: the moment the realised close arrives.
/// </summary>
public sealed class TrackingStore(NpgsqlDataSource db)
{
    /// <summary>Stores an answer and its usable forecasts in one transaction; null when this model already has an answer on that window.</summary>
    public async Task<long?> RecordAsync(TrackedAnswer a, IReadOnlyList<UsableForecast> forecasts, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        long id;
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO track_answers (model, endpoint, chain, window_end, example_id, origin, answer)
            VALUES (@model, @endpoint, @chain, @end, @example, @origin, @answer)
            ON CONFLICT (model, chain, window_end) DO NOTHING RETURNING id
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("model", a.Model);
            cmd.Parameters.AddWithValue("endpoint", a.Endpoint);
            cmd.Parameters.AddWithValue("chain", a.Chain);
            cmd.Parameters.AddWithValue("end", a.WindowEnd);
            cmd.Parameters.AddWithValue("example", a.ExampleId);
            cmd.Parameters.AddWithValue("origin", a.Origin);
            cmd.Parameters.AddWithValue("answer", a.Answer);
            if (await cmd.ExecuteScalarAsync(ct) is not long inserted) return null;
            id = inserted;
        }
        foreach (var u in forecasts)
        {
            var f = u.Forecast;
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO track_forecasts (answer_id, asset, horizon_days, due_date, unit, point, lower_bound, upper_bound, level, direction, statement, last_close)
                VALUES (@answer, @asset, @h, @due, @unit, @point, @lower, @upper, @level, @direction, @statement, @last)
                """, conn, tx);
            cmd.Parameters.AddWithValue("answer", id);
            cmd.Parameters.AddWithValue("asset", f.Asset);
            cmd.Parameters.AddWithValue("h", f.HorizonDays);
            cmd.Parameters.AddWithValue("due", u.Due);
            cmd.Parameters.AddWithValue("unit", f.Unit == ForecastUnit.Price ? "price" : "return");
            cmd.Parameters.AddWithValue("point", NpgsqlDbType.Double, (object?)f.Point ?? DBNull.Value);
            cmd.Parameters.AddWithValue("lower", NpgsqlDbType.Double, (object?)f.Lower ?? DBNull.Value);
            cmd.Parameters.AddWithValue("upper", NpgsqlDbType.Double, (object?)f.Upper ?? DBNull.Value);
            cmd.Parameters.AddWithValue("level", NpgsqlDbType.Double, (object?)f.Level ?? DBNull.Value);
            cmd.Parameters.AddWithValue("direction", NpgsqlDbType.Text, f.Stated is { } d ? (d == Direction.Up ? "up" : "down") : DBNull.Value);
            cmd.Parameters.AddWithValue("statement", f.Text);
            cmd.Parameters.AddWithValue("last", u.LastClose);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>Whether <paramref name="model"/> already has an answer on this window (so it is not asked again).</summary>
    public async Task<bool> HasAnswerAsync(string model, string chain, DateOnly windowEnd, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("SELECT EXISTS (SELECT 1 FROM track_answers WHERE model = @model AND chain = @chain AND window_end = @end)");
        cmd.Parameters.AddWithValue("model", model);
        cmd.Parameters.AddWithValue("chain", chain);
        cmd.Parameters.AddWithValue("end", windowEnd);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Scores every pending forecast whose due day's close is stored; returns how many. Rows are locked while scored
    /// (<c>SKIP LOCKED</c>), so two services scoring at once never score one twice; a day not stored yet leaves it pending.
    /// </summary>
    public async Task<int> ScoreDueAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var due = new List<(long Id, Forecast F, double Last, double Y)>();
        await using (var cmd = new NpgsqlCommand($"""
            SELECT {ForecastColumns}, m.value
            FROM track_forecasts f
            JOIN market_metrics m ON m.chain = f.asset AND m.day = f.due_date AND m.metric = @close
            WHERE f.scored_at IS NULL AND m.value > 0
            ORDER BY f.id
            FOR UPDATE OF f SKIP LOCKED
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("close", MetricNames.CloseUsd);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) due.Add((r.GetInt64(0), ReadForecast(r, 1), r.GetDouble(10), r.GetDouble(11)));
        }
        foreach (var (id, f, last, y) in due)
        {
            var s = ScoredForecast.Of(f, last, y);
            await using var cmd = new NpgsqlCommand("""
                UPDATE track_forecasts SET realised = @y, hit = @hit, ape = @ape, covered = @covered, width = @width, winkler = @winkler,
                       scored_at = now()
                WHERE id = @id
                """, conn, tx);
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("y", y);
            cmd.Parameters.AddWithValue("hit", NpgsqlDbType.Boolean, (object?)s.Hit ?? DBNull.Value);
            cmd.Parameters.AddWithValue("ape", NpgsqlDbType.Double, (object?)s.Ape ?? DBNull.Value);
            cmd.Parameters.AddWithValue("covered", NpgsqlDbType.Boolean, (object?)s.Covered ?? DBNull.Value);
            cmd.Parameters.AddWithValue("width", NpgsqlDbType.Double, (object?)s.Width ?? DBNull.Value);
            cmd.Parameters.AddWithValue("winkler", NpgsqlDbType.Double, (object?)s.Winkler ?? DBNull.Value);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return due.Count;
    }

    /// <summary>Every tracked forecast (of <paramref name="model"/> when given), oldest first; a scored one carries its score.</summary>
    public async Task<IReadOnlyList<TrackedForecast>> ListAsync(string? model = null, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"""
            SELECT {ForecastColumns}, f.realised, a.model, a.chain, a.window_end, f.due_date, a.made_at
            FROM track_forecasts f JOIN track_answers a ON a.id = f.answer_id
            WHERE (@model::text IS NULL OR a.model = @model)
            ORDER BY a.made_at, f.id
            """);
        cmd.Parameters.AddWithValue("model", NpgsqlDbType.Text, (object?)model ?? DBNull.Value);
        var list = new List<TrackedForecast>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var f = ReadForecast(r, 1);
            var last = r.GetDouble(10);
            // The score is recomputed from the stored close and realised price: the same function, so it equals the stored columns.
            var score = r.IsDBNull(11) ? null : ScoredForecast.Of(f, last, r.GetDouble(11));
            list.Add(new TrackedForecast(r.GetInt64(0), r.GetString(12), r.GetString(13), r.GetFieldValue<DateOnly>(14), r.GetFieldValue<DateOnly>(15),
                f, last, score, r.GetFieldValue<DateTimeOffset>(16)));
        }
        return list;
    }

    /// <summary>Answers stored per model (an answer with no usable forecast still counts: the record shows how often a model says nothing scorable).</summary>
    public async Task<IReadOnlyDictionary<string, int>> AnswersPerModelAsync(CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("SELECT model, count(*)::int FROM track_answers GROUP BY model");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) counts[r.GetString(0)] = r.GetInt32(1);
        return counts;
    }

    /// <summary>The track record of every model (of <paramref name="model"/> when given), with the forecasts it is made of.</summary>
    public async Task<(IReadOnlyList<TrackRecord> Records, IReadOnlyList<TrackedForecast> Forecasts)> TrackRecordAsync(string? model = null, CancellationToken ct = default)
    {
        var forecasts = await ListAsync(model, ct);
        var answers = (await AnswersPerModelAsync(ct)).Where(a => model is null || a.Key == model).ToDictionary();
        return (TrackRecord.Of(forecasts, answers), forecasts);
    }

    private const string ForecastColumns =
        "f.id, f.asset, f.horizon_days, f.unit, f.point, f.lower_bound, f.upper_bound, f.level, f.direction, f.statement, f.last_close";

    private static Forecast ReadForecast(NpgsqlDataReader r, int at)
    {
        double? D(int i) => r.IsDBNull(at + i) ? null : r.GetDouble(at + i);
        Direction? direction = r.IsDBNull(at + 7) ? null : r.GetString(at + 7) == "up" ? Direction.Up : Direction.Down;
        return new Forecast(r.GetString(at), r.GetInt32(at + 1), r.GetString(at + 2) == "price" ? ForecastUnit.Price : ForecastUnit.Return,
            D(3), D(4), D(5), D(6), direction, r.GetString(at + 8));
    }
}

public static class TrackingStoreExtensions
{
    /// <summary>Registers <see cref="TrackingStore"/>; needs an <see cref="NpgsqlDataSource"/> (AddCortex1Database gives one).</summary>
    public static IServiceCollection AddTrackingStore(this IServiceCollection services)
    {
        services.TryAddSingleton<TrackingStore>();
        return services;
    }
}
