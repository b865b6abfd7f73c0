using System.Net;
using System.Text;
using Azure.Storage.Blobs;
using Cortex1.Data.Storage;
using Cortex1.TestSupport;

namespace Cortex1.Data.Tests;

public class BlobStoreTests
{
    [Theory]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("../models/x")]
    [InlineData("a/../../b")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a\\b")]
    [InlineData("a\nb")]
    public void RejectsNamesThatCouldEscapeTheirContainer(string name) =>
        Assert.Throws<ArgumentException>(() => BlobNames.Validate(name));

    [Theory]
    [InlineData("train.jsonl")]
    [InlineData("market/v1/train.jsonl")]
    [InlineData("phi-4_tiny/model-00001-of-00002.safetensors")]
    public void AcceptsOrdinaryRelativeNames(string name) => Assert.Equal(name, BlobNames.Validate(name));

    [Fact]
    public async Task RoundTripsTextAndListsByPrefix()
    {
        var store = await AzuriteServer.CreateStoreAsync();
        var prefix = $"t-{Guid.NewGuid():N}/";

        await store.UploadTextAsync(BlobContainers.Datasets, prefix + "a.jsonl", "{\"x\":\"é\"}\n");
        await store.UploadTextAsync(BlobContainers.Datasets, prefix + "b/c.json", "{}");

        Assert.Equal("{\"x\":\"é\"}\n", await store.DownloadTextAsync(BlobContainers.Datasets, prefix + "a.jsonl"));
        var names = new List<string>();
        await foreach (var item in store.ListAsync(BlobContainers.Datasets, prefix)) names.Add(item.Name);
        Assert.Equal([prefix + "a.jsonl", prefix + "b/c.json"], names.Order());
    }

    [Fact]
    public async Task LastModifiedIsTheWriteTimeAndNullForAMissingBlob()
    {
        var store = await AzuriteServer.CreateStoreAsync();
        var name = $"t-{Guid.NewGuid():N}/a.json";
        Assert.Null(await store.LastModifiedAsync(BlobContainers.Adapters, name));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1); // the service's times have whole seconds
        await store.UploadTextAsync(BlobContainers.Adapters, name, "{}");
        var at = await store.LastModifiedAsync(BlobContainers.Adapters, name);
        Assert.InRange(at!.Value, before, DateTimeOffset.UtcNow);
        var listed = new List<DateTimeOffset?>();
        await foreach (var item in store.ListAsync(BlobContainers.Adapters, name)) listed.Add(item.LastModified);
        Assert.Equal([at], listed);
    }

    [Fact]
    public async Task MissingBlobIsFileNotFoundAndUnknownContainerIsRejected()
    {
        var store = await AzuriteServer.CreateStoreAsync();
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.DownloadTextAsync(BlobContainers.Models, $"nope-{Guid.NewGuid():N}"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.UploadTextAsync("secrets", "x", "y"));
    }

    [Fact]
    public async Task ReadersSeeTheOldOrTheWholeNewFileNeverHalf()
    {
        var store = await AzuriteServer.CreateStoreAsync();
        var name = $"atomic-{Guid.NewGuid():N}.bin";
        var oldContent = new string('a', 64 * 1024);
        var newContent = new string('b', 12 * 1024 * 1024); // large enough to be staged in several blocks
        await store.UploadTextAsync(BlobContainers.Models, name, oldContent);

        var upload = store.UploadTextAsync(BlobContainers.Models, name, newContent);
        var seen = new List<int>();
        while (!upload.IsCompleted)
        {
            var text = await store.DownloadTextAsync(BlobContainers.Models, name);
            Assert.True(text == oldContent || text == newContent, $"reader saw a file of {text.Length} characters");
            seen.Add(text.Length);
        }
        await upload;
        Assert.NotEmpty(seen); // the reader really raced the upload
        Assert.Equal(newContent.Length, (await store.DownloadTextAsync(BlobContainers.Models, name)).Length);
    }

    [Fact]
    public async Task DownloadToFileLeavesNoPartialFile()
    {
        var store = await AzuriteServer.CreateStoreAsync();
        var name = $"f-{Guid.NewGuid():N}.txt";
        await store.UploadTextAsync(BlobContainers.Reports, name, "report");
        var path = Path.Combine(Path.GetTempPath(), $"cortex1-{Guid.NewGuid():N}", "r.txt");

        await store.DownloadToFileAsync(BlobContainers.Reports, name, path);

        Assert.Equal("report", await File.ReadAllTextAsync(path, Encoding.UTF8));
        Assert.False(File.Exists(path + ".part"));
        Directory.Delete(Path.GetDirectoryName(path)!, true);
    }

    /// <summary>
    /// A reader (Inference) creates no containers and may start before the services that do: a container that does not
    /// exist yet lists nothing, and a model mirrored from it is a clear "no files" error, not a storage retry. Azurite
    /// here always has the containers, so a loopback server answers as Blob storage does for a missing one.
    /// </summary>
    [Fact]
    public async Task A_container_not_created_yet_lists_nothing()
    {
        var port = Ports.Free();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var requests = 0;
        var server = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); }
                catch (HttpListenerException) { return; }
                catch (ObjectDisposedException) { return; }
                Interlocked.Increment(ref requests);
                var body = Encoding.UTF8.GetBytes(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.</Message></Error>");
                context.Response.StatusCode = 404;
                context.Response.Headers["x-ms-error-code"] = "ContainerNotFound";
                context.Response.ContentType = "application/xml";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
        var store = new BlobStore(new BlobServiceClient(new Uri($"http://127.0.0.1:{port}/devstoreaccount1")));

        var names = new List<string>();
        await foreach (var item in store.ListAsync(BlobContainers.Adapters)) names.Add(item.Name);
        Assert.Empty(names);
        Assert.Empty(await new BlobMirror(store).FoldersWithAsync(BlobContainers.Adapters, "adapter_config.json", default));
        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            new BlobMirror(store).MirrorAsync(BlobContainers.Models, "phi-4", Path.Combine(Path.GetTempPath(), $"cortex1-{Guid.NewGuid():N}"), default));
        Assert.Contains("No files under 'models/phi-4/'", missing.Message);
        Assert.Equal(3, requests);   // one listing each: a missing container is an answer, not a failure to retry
        listener.Stop();
        await server;
    }
}
