using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cortex1.Data.Migrations;

/// <summary>One versioned SQL script, embedded as <c>Migrations/NNN_name.sql</c>.</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies the embedded migrations in version order, each in its own transaction, recording them in
/// <c>schema_migrations</c>. A transaction-scoped advisory lock serialises services that start at
/// the same moment, so each script runs exactly once however many run the migrator.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    // Any fixed 64-bit number; it only has to be the same for every Cortex1 service.
    private const long AdvisoryLockKey = 0x436f7274657831; // "Cortex1"

    [GeneratedRegex(@"^(?<version>\d{3,})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex FileName();

    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    private static List<Migration> LoadEmbedded()
    {
        const string prefix = "Cortex1.Data.Migrations.";
        var asm = typeof(MigrationRunner).Assembly;
        var list = new List<Migration>();
        foreach (var resource in asm.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var file = resource[prefix.Length..];
            var m = FileName().Match(file);
            if (!m.Success)
                throw new InvalidOperationException($"Migration '{file}' must be named NNN_lower_snake_name.sql.");
            using var reader = new StreamReader(asm.GetManifestResourceStream(resource)!);
            list.Add(new Migration(int.Parse(m.Groups["version"].Value), m.Groups["name"].Value, reader.ReadToEnd()));
        }
        var duplicate = list.GroupBy(x => x.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Two migrations share version {duplicate.Key}.");
        return [.. list.OrderBy(x => x.Version)];
    }

    /// <summary>Applies what is missing; returns the versions applied by this call.</summary>
    public async Task<IReadOnlyList<int>> ApplyAsync(CancellationToken ct = default)
    {
        var applied = new List<int>();
        foreach (var migration in Embedded)
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            await Exec(conn, tx, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", ct);
            await Exec(conn, tx, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, ct);

            await using (var check = new NpgsqlCommand("SELECT 1 FROM schema_migrations WHERE version = @v", conn, tx))
            {
                check.Parameters.AddWithValue("v", migration.Version);
                if (await check.ExecuteScalarAsync(ct) is not null)
                {
                    await tx.RollbackAsync(ct);
                    continue;
                }
            }

            await Exec(conn, tx, migration.Sql, ct);
            await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES (@v, @n)", conn, tx))
            {
                record.Parameters.AddWithValue("v", migration.Version);
                record.Parameters.AddWithValue("n", migration.Name);
                await record.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
            applied.Add(migration.Version);
            LogApplied(logger, migration.Version, migration.Name);
        }
        return applied;
    }

    private static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} {Name}")]
    private static partial void LogApplied(ILogger logger, int version, string name);
}
