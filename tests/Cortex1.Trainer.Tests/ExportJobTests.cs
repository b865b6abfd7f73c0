using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;
using Cortex1.Model.Export;
using Cortex1.Model.Tiny;
using Cortex1.TestSupport;
using Cortex1.Trainer.Export;
using Cortex1.Trainer.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Cortex1.Trainer.Tests;

/// <summary>
/// The export job end to end: a base model in blob storage (Azurite), <c>POST /api/export</c> on a real Kestrel server,
/// the job worker running it, the files in <c>exports/</c> equal to the command's; and a job cancelled in the middle of
/// writing its GGUF, which must leave no file behind, locally or in blob storage.
/// </summary>
public sealed class ExportJobTests
{
    private static string NewRoot() => Path.Combine(Path.GetTempPath(), $"cortex1-export-job-{Guid.NewGuid():N}");

    /// <summary>A tiny qwen2 model uploaded to <c>models/{prefix}/</c>; returns the prefix and the local copy.</summary>
    private static async Task<(string Prefix, string Local)> UploadModelAsync(BlobStore blobs, string root)
    {
        var local = TinyModel.Create(Path.Combine(root, "base"), "qwen2", seed: 5);
        var prefix = $"tiny-{Guid.NewGuid():N}"[..17];
        foreach (var f in Directory.GetFiles(local)) await blobs.UploadFileAsync(BlobContainers.Models, $"{prefix}/{Path.GetFileName(f)}", f);
        return (prefix, local);
    }

    private static async Task<(WebApplication App, HttpClient Http)> StartAsync(NpgsqlDataSource db, BlobStore blobs, string cache)
    {
        JobWorker.PollInterval = TimeSpan.FromMilliseconds(50);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(db).AddSingleton<JobQueue>().AddSingleton(blobs);
        builder.Services.Configure<TrainerOptions>(o => o.CacheFolder = cache);
        builder.Services.AddJobHandler<ExportHandler>();
        var app = builder.Build();
        app.MapExportApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address) });
    }

    private static async Task<JsonElement> WaitAsync(HttpClient http, long id)
    {
        JsonElement job;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            await Task.Delay(100);
            job = await http.GetFromJsonAsync<JsonElement>($"/api/export/{id}");
        } while (job.GetProperty("status").GetString() is JobStatus.Queued or JobStatus.Running && DateTime.UtcNow < deadline);
        return job;
    }

    private static async Task<byte[]> DownloadAsync(BlobStore blobs, string name, string root)
    {
        var path = Path.Combine(root, "dl-" + Guid.NewGuid().ToString("N"));
        await blobs.DownloadToFileAsync(BlobContainers.Exports, name, path);
        return await File.ReadAllBytesAsync(path);
    }

    [Fact]
    public async Task A_queued_export_publishes_the_same_files_as_the_command_under_exports()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var blobs = await AzuriteServer.CreateStoreAsync();
        var root = NewRoot();
        try
        {
            var (prefix, local) = await UploadModelAsync(blobs, root);
            var (app, http) = await StartAsync(db, blobs, Path.Combine(root, "cache"));
            await using var _ = app;

            var bad = await http.PostAsJsonAsync("/api/export", new { baseModel = $"models/{prefix}", format = "gguf", type = "q5_k" });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("Unknown GGUF type 'q5_k'", await bad.Content.ReadAsStringAsync());

            var output = $"e2e-{prefix}";
            var post = await http.PostAsJsonAsync("/api/export", new { baseModel = $"models/{prefix}", format = "gguf", type = "q8_0", output, name = "tiny-e2e" });
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
            var id = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            Assert.Equal($"/api/export/{id}", post.Headers.Location?.ToString());
            var job = await WaitAsync(http, id);
            Assert.True(job.GetProperty("status").GetString() == JobStatus.Succeeded, job.ToString());
            Assert.Equal(1.0, job.GetProperty("progress").GetDouble());
            var files = job.GetProperty("result").GetProperty("files").EnumerateArray().Select(f => f.GetString()).ToList();
            Assert.Equal([$"exports/{output}/tiny-e2e-q8_0.gguf", $"exports/{output}/Modelfile"], files);

            // The command on the local copy writes the same bytes.
            var expected = ModelExport.Run(new ExportRequest(local, null, "gguf", "q8_0", Path.Combine(root, "cli"), "tiny-e2e"));
            Assert.Equal(await File.ReadAllBytesAsync(expected[0]), await DownloadAsync(blobs, $"{output}/tiny-e2e-q8_0.gguf", root));
            Assert.Equal(await File.ReadAllBytesAsync(expected[1]), await DownloadAsync(blobs, $"{output}/Modelfile", root));
            Assert.False(Directory.Exists(Path.Combine(root, "cache", "exports", $"job-{id}")));   // staging removed

            // An hf export: the folder's files under the prefix, config.json last.
            post = await http.PostAsJsonAsync("/api/export", new { baseModel = $"models/{prefix}", format = "hf", type = "f32", output = $"{output}-hf" });
            job = await WaitAsync(http, (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
            Assert.True(job.GetProperty("status").GetString() == JobStatus.Succeeded, job.ToString());
            files = [.. job.GetProperty("result").GetProperty("files").EnumerateArray().Select(f => f.GetString())];
            Assert.Equal($"exports/{output}-hf/config.json", files[^1]);
            Assert.Contains($"exports/{output}-hf/tokenizer.json", files);

            // A finished export cannot be cancelled.
            var cancel = await http.PostAsync($"/api/export/{id}/cancel", null);
            Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task An_export_cancelled_mid_write_or_interrupted_leaves_no_file_behind()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var blobs = await AzuriteServer.CreateStoreAsync();
        var root = NewRoot();
        try
        {
            var (prefix, _) = await UploadModelAsync(blobs, root);
            var cache = Path.Combine(root, "cache");
            var queue = new JobQueue(db);
            var handler = new ExportHandler(blobs, Options.Create(new TrainerOptions { CacheFolder = cache }), NullLogger<ExportHandler>.Instance);
            var runner = new JobRunner(queue, NullLogger.Instance);
            var output = $"cancel-{prefix}";
            var request = new ExportJobRequest($"models/{prefix}", Format: "gguf", Type: "f32", Output: output);

            // Cancelled (as POST /api/export/{id}/cancel does) once three tensors are written: the next report is refused.
            var id = await queue.EnqueueAsync(ExportJobRequest.JobKind, request, maxAttempts: 1);
            var job = (await queue.ClaimAsync(id, "w1", ExportJobRequest.JobKind))!;
            var messages = new List<string?>();
            var result = await runner.RunAsync(job, handler, "w1", (_, message) =>
            {
                messages.Add(message);
                if (message == $"export tensor 3/{TensorCount(messages)}") Assert.True(queue.CancelAsync(id).GetAwaiter().GetResult());
            });
            Assert.NotEqual(JobOutcome.Succeeded, result.Outcome);
            Assert.Contains(messages, m => m?.StartsWith("export tensor 3/", StringComparison.Ordinal) == true);
            Assert.DoesNotContain(messages, m => m?.StartsWith("export tensor 4/", StringComparison.Ordinal) == true);
            Assert.Equal(JobStatus.Canceled, (await queue.GetAsync(id))!.Status);
            AssertNothingLeft(cache);
            await AssertNoBlobsAsync(blobs, output);

            // Interrupted (Ctrl+C, a worker shutting down) after two tensors: given back to the queue, nothing left either.
            id = await queue.EnqueueAsync(ExportJobRequest.JobKind, request, maxAttempts: 1);
            job = (await queue.ClaimAsync(id, "w2", ExportJobRequest.JobKind))!;
            using var stop = new CancellationTokenSource();
            result = await runner.RunAsync(job, handler, "w2", (_, message) =>
            {
                if (message?.StartsWith("export tensor 2/", StringComparison.Ordinal) == true) stop.Cancel();
            }, stop.Token);
            Assert.Equal(JobOutcome.Released, result.Outcome);
            Assert.Equal(JobStatus.Queued, (await queue.GetAsync(id))!.Status);
            AssertNothingLeft(cache);
            await AssertNoBlobsAsync(blobs, output);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static string TensorCount(List<string?> messages) =>
        messages.LastOrDefault(m => m?.StartsWith("export tensor ", StringComparison.Ordinal) == true)?.Split('/')[^1] ?? "?";

    /// <summary>No GGUF, partial file or staging folder anywhere under the cache (the mirrored base model may stay).</summary>
    private static void AssertNothingLeft(string cache)
    {
        Assert.Empty(Directory.GetFiles(cache, "*.gguf*", SearchOption.AllDirectories));
        Assert.Empty(Directory.Exists(Path.Combine(cache, "exports")) ? Directory.GetFileSystemEntries(Path.Combine(cache, "exports")) : []);
    }

    private static async Task AssertNoBlobsAsync(BlobStore blobs, string output)
    {
        var names = new List<string>();
        await foreach (var b in blobs.ListAsync(BlobContainers.Exports, output + "/")) names.Add(b.Name);
        Assert.Empty(names);
    }
}
