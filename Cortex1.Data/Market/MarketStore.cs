using Cortex1.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using NpgsqlTypes;

namespace Cortex1.Data.Market;

/// <summary>
/// PostgreSQL access to market data (tables <c>market_metrics</c> and <c>market_conditions</c>).
/// Ingest writes; Synth and the HTTP API read windows of days and labels.
/// </summary>
public sealed class MarketStore(NpgsqlDataSource db)
{
    /// <summary>
    /// Source of metrics computed from other metrics (growth, volatility, correlations). A day's
    /// <see cref="MarketDay.Source"/> names only where its raw values came from, so this is left out there.
    /// </summary>
    public const string DerivedSource = "derived";

    /// <summary>
    /// Writes a batch idempotently: binary COPY into temporary staging tables, then
    /// <c>INSERT … ON CONFLICT DO UPDATE</c>, all in one transaction. A rerun of the same batch
    /// changes nothing but <c>fetched_at</c>; a failure anywhere leaves the tables as they were.
    /// Returns the number of metric and condition rows written.
    /// </summary>
    public async Task<int> UpsertAsync(MarketBatch batch, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        await Exec(conn, tx, """
            CREATE TEMP TABLE stage_metrics (ord bigint, chain text, day date, metric text, value double precision, source text)
                ON COMMIT DROP;
            CREATE TEMP TABLE stage_conditions (ord bigint, chain text, day date, basis text, condition text)
                ON COMMIT DROP;
            """, ct);

        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY stage_metrics (ord, chain, day, metric, value, source) FROM STDIN (FORMAT BINARY)", ct))
        {
            long ord = 0;
            foreach (var day in batch.Days)
                foreach (var (metric, value) in day.Metrics)
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(ord++, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(day.Chain, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(day.Day, NpgsqlDbType.Date, ct);
                    await copy.WriteAsync(metric, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(value, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(day.Source, NpgsqlDbType.Text, ct);
                }
            await copy.CompleteAsync(ct);
        }

        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY stage_conditions (ord, chain, day, basis, condition) FROM STDIN (FORMAT BINARY)", ct))
        {
            long ord = 0;
            foreach (var c in batch.Conditions)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(ord++, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(c.Chain, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(c.Day, NpgsqlDbType.Date, ct);
                await copy.WriteAsync(MarketText.Of(c.Basis), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(MarketText.Of(c.Condition), NpgsqlDbType.Text, ct);
            }
            await copy.CompleteAsync(ct);
        }

        // DISTINCT ON keeps the last row per key: ON CONFLICT may touch a row only once per statement.
        var written = await Exec(conn, tx, """
            INSERT INTO market_metrics AS m (chain, day, metric, value, source, fetched_at)
            SELECT DISTINCT ON (chain, day, metric) chain, day, metric, value, source, now()
            FROM stage_metrics ORDER BY chain, day, metric, ord DESC
            ON CONFLICT (chain, day, metric) DO UPDATE
               SET value = EXCLUDED.value, source = EXCLUDED.source, fetched_at = EXCLUDED.fetched_at
            """, ct);
        written += await Exec(conn, tx, """
            INSERT INTO market_conditions AS c (chain, day, basis, condition, computed_at)
            SELECT DISTINCT ON (chain, day, basis) chain, day, basis, condition, now()
            FROM stage_conditions ORDER BY chain, day, basis, ord DESC
            ON CONFLICT (chain, day, basis) DO UPDATE
               SET condition = EXCLUDED.condition, computed_at = EXCLUDED.computed_at
            """, ct);

        await tx.CommitAsync(ct);
        return written;
    }

    /// <summary>Every chain with at least one day, alphabetically; with <paramref name="chain"/>, that chain only (an
    /// index range, not a scan of the whole table: the market API asks this on every request).</summary>
    public async Task<IReadOnlyList<MarketChain>> GetChainsAsync(CancellationToken ct = default, string? chain = null)
    {
        await using var cmd = db.CreateCommand("""
            SELECT chain, min(day), max(day), count(DISTINCT day)::int,
                   coalesce(array_agg(DISTINCT source ORDER BY source) FILTER (WHERE source <> @derived), '{}')
            FROM market_metrics WHERE (@chain::text IS NULL OR chain = @chain) GROUP BY chain ORDER BY chain
            """);
        cmd.Parameters.AddWithValue("derived", DerivedSource);
        cmd.Parameters.AddWithValue("chain", NpgsqlTypes.NpgsqlDbType.Text, (object?)chain ?? DBNull.Value);
        var list = new List<MarketChain>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new MarketChain(r.GetString(0), r.GetFieldValue<DateOnly>(1), r.GetFieldValue<DateOnly>(2),
                r.GetInt32(3), r.GetFieldValue<string[]>(4)));
        return list;
    }

    /// <summary>
    /// The days of <paramref name="chain"/> in [<paramref name="from"/>, <paramref name="to"/>], oldest
    /// first. A day's <see cref="MarketDay.Source"/> joins its raw metrics' sources with '+'.
    /// </summary>
    public async Task<MarketSeries> GetDaysAsync(string chain, DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            SELECT day, metric, value, source FROM market_metrics
            WHERE chain = @chain AND day BETWEEN @from AND @to
            ORDER BY day, metric
            """);
        cmd.Parameters.AddWithValue("chain", chain);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);

        var days = new List<MarketDay>();
        DateOnly? current = null;
        Dictionary<string, double> metrics = new(StringComparer.Ordinal);
        SortedSet<string> sources = new(StringComparer.Ordinal);
        void Flush()
        {
            if (current is { } d) days.Add(new MarketDay(chain, d, metrics, string.Join('+', sources)));
            metrics = new(StringComparer.Ordinal);
            sources = new(StringComparer.Ordinal);
        }

        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var day = r.GetFieldValue<DateOnly>(0);
            if (day != current)
            {
                Flush();
                current = day;
            }
            metrics[r.GetString(1)] = r.GetDouble(2);
            if (r.GetString(3) is var source && source != DerivedSource) sources.Add(source);
        }
        Flush();
        return new MarketSeries(chain, days);
    }

    /// <summary>The labels of <paramref name="chain"/> in [<paramref name="from"/>, <paramref name="to"/>], oldest first.</summary>
    public async Task<IReadOnlyList<DailyCondition>> GetConditionsAsync(string chain, DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            SELECT day, basis, condition FROM market_conditions
            WHERE chain = @chain AND day BETWEEN @from AND @to
            ORDER BY day, basis
            """);
        cmd.Parameters.AddWithValue("chain", chain);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        var list = new List<DailyCondition>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new DailyCondition(chain, r.GetFieldValue<DateOnly>(0),
                MarketText.ParseBasis(r.GetString(1)), MarketText.ParseCondition(r.GetString(2))));
        return list;
    }

    /// <summary>True when any metric of <paramref name="source"/> is stored (e.g. the embedded history was loaded).</summary>
    public async Task<bool> HasSourceAsync(string source, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("SELECT EXISTS (SELECT 1 FROM market_metrics WHERE source = @source)");
        cmd.Parameters.AddWithValue("source", source);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<int> Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}

public static class MarketStoreExtensions
{
    /// <summary>Registers <see cref="MarketStore"/>; needs an <see cref="NpgsqlDataSource"/> (AddCortex1Data gives one).</summary>
    public static IServiceCollection AddMarketStore(this IServiceCollection services)
    {
        services.TryAddSingleton<MarketStore>();
        return services;
    }
}
