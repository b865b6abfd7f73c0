using Cortex1.Data.Migrations;
using Cortex1.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Cortex1.Data.Tests;

public class MigrationTests
{
    [Fact]
    public async Task AppliesEveryEmbeddedMigrationOnceAndRecordsIt()
    {
        await using var db = await PostgresServer.CreateEmptyDatabaseAsync();
        var runner = new MigrationRunner(db, NullLogger<MigrationRunner>.Instance);

        var first = await runner.ApplyAsync();
        var second = await runner.ApplyAsync();

        Assert.Equal(MigrationRunner.Embedded.Select(m => m.Version), first);
        Assert.Empty(second);
        Assert.Equal(MigrationRunner.Embedded.Count, await Scalar<long>(db, "SELECT count(*) FROM schema_migrations"));
        Assert.True(await Scalar<bool>(db, "SELECT to_regclass('public.jobs') IS NOT NULL"));
    }

    [Fact]
    public async Task ServicesStartingAtOnceApplyEachMigrationExactlyOnce()
    {
        await using var db = await PostgresServer.CreateEmptyDatabaseAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => new MigrationRunner(db, NullLogger<MigrationRunner>.Instance).ApplyAsync())));

        // Every version was applied by exactly one of the concurrent runners.
        Assert.Equal(MigrationRunner.Embedded.Select(m => m.Version).Order(), results.SelectMany(r => r).Order());
    }

    [Fact]
    public void EmbeddedMigrationsAreOrderedAndUnique()
    {
        var versions = MigrationRunner.Embedded.Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(versions.Order().Distinct(), versions);
    }

    private static async Task<T> Scalar<T>(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
