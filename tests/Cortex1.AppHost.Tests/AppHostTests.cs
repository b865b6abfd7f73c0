using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Azure.Storage.Blobs;
using Cortex1.Data.Jobs;
using Cortex1.Data.Migrations;
using Cortex1.Data.Storage;
using Cortex1.TestSupport;
using Npgsql;

namespace Cortex1.AppHost.Tests;

/// <summary>
/// Starts the real AppHost in local mode (Debian's PostgreSQL and Azurite as executables, as on a
/// machine without a container engine) and checks the app as a user would find it.
/// </summary>
public class AppHostTests
{
    private static readonly string[] Services = ["ingest", "synth", "trainer", "inference"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task LocalModeStartsEveryServiceHealthyWithMigratedStorageThatSurvivesARestart()
    {
        var state = Path.Combine(Path.GetTempPath(), $"cortex1-apphost-{Guid.NewGuid():N}");
        string[] args =
        [
            "--Infrastructure:Mode=local",
            $"--Infrastructure:StateDir={state}",
            $"--Infrastructure:PostgresPort={Ports.Free()}",
            $"--Infrastructure:AzuritePort={Ports.Free()}",
        ];
        long jobId;
        var blobName = $"apphost-test/{Guid.NewGuid():N}.txt";
        try
        {
            await using (var app = await StartAsync(args))
            {
                foreach (var service in Services)
                {
                    using var http = app.CreateHttpClient(service);
                    Assert.Equal("Healthy", await http.GetStringAsync("/health"));
                    Assert.Equal("Healthy", await http.GetStringAsync("/alive"));
                }

                await using var db = NpgsqlDataSource.Create((await app.GetConnectionStringAsync("postgres"))!);
                await using (var cmd = db.CreateCommand("SELECT array_agg(version ORDER BY version) FROM schema_migrations"))
                    Assert.Equal(MigrationRunner.Embedded.Select(m => m.Version).ToArray(), (int[])(await cmd.ExecuteScalarAsync())!);

                var blobs = new BlobStore(new BlobServiceClient(await app.GetConnectionStringAsync("azurite")));
                await blobs.UploadTextAsync(BlobContainers.Reports, blobName, "round trip");
                Assert.Equal("round trip", await blobs.DownloadTextAsync(BlobContainers.Reports, blobName));

                // Two workers race for the same job: exactly one gets it.
                var queue = new JobQueue(db);
                jobId = await queue.EnqueueAsync("apphost-test", new { hello = "world" });
                var winners = new ConcurrentBag<string>();
                await Task.WhenAll(new[] { "w1", "w2" }.Select(w => Task.Run(async () =>
                {
                    if (await queue.ClaimAsync(w, ["apphost-test"]) is { Id: var id } && id == jobId) winners.Add(w);
                })));
                Assert.Single(winners);
            }

            // Same state folder: the data written above is still there after a restart.
            await using (var app = await StartAsync(args))
            {
                await using var db = NpgsqlDataSource.Create((await app.GetConnectionStringAsync("postgres"))!);
                var job = await new JobQueue(db).GetAsync(jobId);
                Assert.Equal("apphost-test", job?.Kind);
                var blobs = new BlobStore(new BlobServiceClient(await app.GetConnectionStringAsync("azurite")));
                Assert.Equal("round trip", await blobs.DownloadTextAsync(BlobContainers.Reports, blobName));
            }
        }
        finally
        {
            try { Directory.Delete(state, recursive: true); }
            catch (IOException) { }
        }
    }

    private static async Task<DistributedApplication> StartAsync(string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Cortex1_AppHost>(args);
        var app = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(cts.Token);
        foreach (var resource in new[] { "postgres", "azurite" }.Concat(Services))
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
        return app;
    }
}
