using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Azure.Storage.Blobs;
using Cortex1.Data.Jobs;
using Cortex1.Data.Migrations;
using Cortex1.Data.Storage;
using Cortex1.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace Cortex1.AppHost.Tests;

/// <summary>
/// Starts the real AppHost in local mode (Debian's PostgreSQL and Azurite as executables, as on a
/// machine without a container engine) and checks the app as a user would find it.
/// </summary>
public class AppHostTests(ITestOutputHelper output)
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

                await ThePipelineRunsFromMarketDataToAServedAdapter(app);
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

    /// <summary>
    /// The design's data flow through the running services, each over its own HTTP API as the dashboard's commands call
    /// them: Ingest has loaded the embedded history by itself (no Flipside key), Synth builds a small offline data set,
    /// the Trainer fine-tunes the embedded baby model (the default base, the model Inference serves) on it, and Inference loads the published adapter from blob storage and
    /// answers with it as a model.
    /// </summary>
    private async Task ThePipelineRunsFromMarketDataToAServedAdapter(DistributedApplication app)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Step(string done) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0} s  {done}");
        using var ingest = app.CreateHttpClient("ingest");
        await Until("the embedded history is loaded", async () =>
            JsonDocument.Parse(await ingest.GetStringAsync("/api/market/chains")).RootElement.GetArrayLength() == 3);
        Step("embedded history loaded");

        using var synth = app.CreateHttpClient("synth");
        var started = await Json(await synth.PostAsJsonAsync("/api/synth/runs", new { size = "small", teacher = "offline", name = "e2e" }));
        var (run, dataset, version) = (started.GetProperty("id").GetInt64(), started.GetProperty("dataset").GetString()!, started.GetProperty("version").GetString()!);
        var synthRun = await Until("the data set is generated", async () =>
            await Json(await synth.GetAsync($"/api/synth/runs/{run}")) is var r && Finished(r.GetProperty("status").GetString()) ? r : (JsonElement?)null);
        Assert.True(synthRun.GetProperty("status").GetString() == "succeeded", synthRun.ToString());
        Assert.True(synthRun.GetProperty("manifest").GetProperty("train").GetProperty("count").GetInt32() > 0);
        Step($"data set {dataset}/{version} generated");

        using var trainer = app.CreateHttpClient("trainer");
        using (var typo = await trainer.PostAsJsonAsync("/api/training/runs", new { name = "e2e-typo", dataset = "no-such-set", version }))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, typo.StatusCode);   // refused before a job exists
            Assert.Contains("No data set at datasets/no-such-set/", await typo.Content.ReadAsStringAsync());
        }
        var queued = await Json(await trainer.PostAsJsonAsync("/api/training/runs", new
        {
            name = "e2e-baby", dataset, version, baseModel = "cortex1-baby", quantization = "nf4",
            sftSteps = 1, grpoSteps = 1, numGenerations = 2, maxCompletionLength = 4,
        }));
        var job = queued.GetProperty("id").GetInt64();
        var training = await Until("the adapter is trained", async () =>
            await Json(await trainer.GetAsync($"/api/training/runs/{job}")) is var j && Finished(j.GetProperty("status").GetString()) ? j : (JsonElement?)null);
        Assert.True(training.GetProperty("status").GetString() == "succeeded", training.ToString());
        Assert.Equal("adapters/e2e-baby", training.GetProperty("result").GetProperty("adapter").GetString());
        Step("adapter trained and published");

        using var inference = app.CreateHttpClient("inference");
        using var load = await inference.PostAsJsonAsync("/v1/load_lora_adapter", new { lora_name = "e2e-baby" });
        Assert.True(load.IsSuccessStatusCode, await load.Content.ReadAsStringAsync());
        var models = await Json(await inference.GetAsync("/v1/models"));
        Assert.Contains(models.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "e2e-baby");
        var chat = await Json(await inference.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "e2e-baby", messages = new[] { new { role = "user", content = "BTC outlook?" } }, max_tokens = 4, temperature = 0,
        }));
        Assert.Equal("e2e-baby", chat.GetProperty("model").GetString());
        Assert.InRange(chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, 4);
        Step("adapter served");
    }

    private static bool Finished(string? status) => status is "succeeded" or "failed" or "canceled";

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    /// <summary>Polls until <paramref name="probe"/> gives a value (jobs run in the services' workers), failing after five minutes.</summary>
    private static async Task<T> Until<T>(string what, Func<Task<T?>> probe) where T : struct
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } value) return value;
            await Task.Delay(500);
        }
        throw new TimeoutException($"Waited five minutes for {what}.");
    }

    private static Task Until(string what, Func<Task<bool>> probe) =>
        Until(what, async () => await probe() ? true : (bool?)null);

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
