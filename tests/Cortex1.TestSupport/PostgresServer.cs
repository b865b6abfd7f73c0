using Cortex1.Data.Migrations;
using Cortex1.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Cortex1.TestSupport;

/// <summary>
/// A real PostgreSQL server for tests: Debian's binaries, a throwaway cluster in the test run's folder (<see cref="TestRun"/>) on a free
/// 127.0.0.1 port, started once per test process. Each test asks for its own fresh, migrated
/// database, so tests never see each other's rows. Set CORTEX1_TEST_PG to an admin connection
/// string to use an existing server instead.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<Task<string>> AdminConnection = new(StartAsync);

    /// <summary>A fresh database with every embedded migration applied.</summary>
    public static async Task<NpgsqlDataSource> CreateDatabaseAsync()
    {
        var db = await CreateEmptyDatabaseAsync();
        var runner = new MigrationRunner(db, NullLogger<MigrationRunner>.Instance);
        await runner.ApplyAsync();
        return db;
    }

    /// <summary>A fresh database with nothing in it (for testing the migrations themselves).</summary>
    public static async Task<NpgsqlDataSource> CreateEmptyDatabaseAsync()
    {
        var admin = await AdminConnection.Value;
        var name = $"test_{Guid.NewGuid():N}";
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
    }

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("CORTEX1_TEST_PG") is { Length: > 0 } existing) return existing;

        var bin = LocalTools.FindPostgresBinDir();
        var root = TestRun.Folder($"pg-{Guid.NewGuid():N}");
        // The postgres user (when we are root) must be able to traverse into the cluster folder.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var data = Path.Combine(root, "data");
        LocalTools.EnsurePostgresCluster(bin, data, password: null);

        var port = LocalTools.FreeTcpPort();
        var (file, args) = LocalTools.PostgresCommand(bin, data, port);
        var server = new ServerProcess(file, [.. args, "-c", "fsync=off", "-c", "full_page_writes=off"], root, stopSignal: "INT");
        var admin = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=5";
        await server.WaitUntilAsync(async () =>
        {
            try
            {
                await using var conn = new NpgsqlConnection(admin);
                await conn.OpenAsync();
                return true;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromMinutes(2), "PostgreSQL");
        return admin.Replace("Pooling=false;", "");
    }
}
