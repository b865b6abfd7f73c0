using System.Text.Json;
using Cortex1.Data.Storage;
using Cortex1.Model.Lora;
using Cortex1.TestSupport;

namespace Cortex1.Inference.Tests;

/// <summary>LoRA adapters as models: found in a folder or in blob storage, loaded and unloaded at run time.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class AdapterTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    private string CreateAdapter(string folder, int seed) => TestAdapters.Create(Server.Host.Model.Folder, folder, seed);

    private async Task<string> GreedyAsync(string model)
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", new
        {
            model, messages = new[] { new { role = "user", content = "Is this a bull market?" } }, max_tokens = 10, temperature = 0, ignore_eos = true,
        });
        Assert.True(status == 200, json.ToString());
        return json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    private async Task<List<JsonElement>> ModelsAsync()
    {
        var json = JsonDocument.Parse(await Server.Http.GetStringAsync("v1/models")).RootElement;
        return json.GetProperty("data").EnumerateArray().ToList();
    }

    private async Task WaitForModelAsync(string id, bool present = true)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if ((await ModelsAsync()).Any(m => m.GetProperty("id").GetString() == id) == present) return;
            await Task.Delay(100);
        }
        Assert.Fail($"model '{id}' {(present ? "never appeared" : "never went away")}");
    }

    [Fact]
    public async Task An_adapter_dropped_in_the_folder_is_picked_up_listed_and_served()
    {
        CreateAdapter(Path.Combine(SharedServer.AdaptersFolder, "folder-lora"), seed: 11);
        await WaitForModelAsync("folder-lora");

        var card = (await ModelsAsync()).Single(m => m.GetProperty("id").GetString() == "folder-lora");
        Assert.Equal(Server.ModelName, card.GetProperty("parent").GetString());
        var adapted = await GreedyAsync("folder-lora");
        var baseText = await GreedyAsync(Server.ModelName);
        Assert.NotEqual(baseText, adapted);
        Assert.Equal(adapted, await GreedyAsync("folder-lora"));
    }

    [Fact]
    public async Task An_adapter_uploaded_to_blob_storage_is_picked_up_and_served()
    {
        var local = CreateAdapter(Path.Combine(InferenceServer.CacheFolder, "upload-src", Guid.NewGuid().ToString("N")), seed: 12);
        var store = await AzuriteServer.CreateStoreAsync();
        var name = $"blob-lora-{Guid.NewGuid():N}"[..18];
        // Weights first, config last: the config is what marks a complete adapter.
        await store.UploadFileAsync(BlobContainers.Adapters, $"{name}/{PeftFormat.WeightsFile}", Path.Combine(local, PeftFormat.WeightsFile));
        await store.UploadFileAsync(BlobContainers.Adapters, $"{name}/{PeftFormat.ConfigFile}", Path.Combine(local, PeftFormat.ConfigFile));

        await WaitForModelAsync(name);
        Assert.NotEqual(await GreedyAsync(Server.ModelName), await GreedyAsync(name));

        // Retrained under the same name: loaded again, and the serving status is written again, newer than the new files
        // (the Trainer's pipeline counts a status only when it is newer than the adapter it looks for).
        var before = await GreedyAsync(name);
        var retrained = CreateAdapter(Path.Combine(InferenceServer.CacheFolder, "upload-src", Guid.NewGuid().ToString("N")), seed: 13);
        await Task.Delay(1100); // blob times have whole seconds
        await store.UploadFileAsync(BlobContainers.Adapters, $"{name}/{PeftFormat.WeightsFile}", Path.Combine(retrained, PeftFormat.WeightsFile));
        await store.UploadFileAsync(BlobContainers.Adapters, $"{name}/{PeftFormat.ConfigFile}", Path.Combine(retrained, PeftFormat.ConfigFile));
        var published = await store.LastModifiedAsync(BlobContainers.Adapters, $"{name}/{PeftFormat.ConfigFile}");
        var status = $"{Cortex1.Inference.Adapters.ServingStatus.Folder}/{Environment.MachineName.ToLowerInvariant()}.json";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        DateTimeOffset at = default;
        while (DateTime.UtcNow < deadline)
        {
            var json = JsonDocument.Parse(await store.DownloadTextAsync(BlobContainers.Adapters, status)).RootElement;
            at = json.GetProperty("at").GetDateTimeOffset();
            if (at >= published && json.GetProperty("adapters").EnumerateArray().Any(a => a.GetString() == name)) break;
            await Task.Delay(100);
        }
        Assert.True(at >= published, $"the serving status ({at:O}) was not written again after the retrained adapter ({published:O})");
        Assert.NotEqual(before, await GreedyAsync(name));
    }

    [Fact]
    public async Task The_admin_endpoints_load_and_unload_at_run_time()
    {
        var folder = CreateAdapter(Path.Combine(SharedServer.AdaptersFolder, "manual", "m1"), seed: 13);
        var load = await Server.PostAsync("v1/load_lora_adapter", new { lora_name = "manual-lora", lora_path = folder });
        Assert.Equal(200, load.Status);
        Assert.Contains(await ModelsAsync(), m => m.GetProperty("id").GetString() == "manual-lora");
        var adapted = await GreedyAsync("manual-lora");
        Assert.NotEqual(await GreedyAsync(Server.ModelName), adapted);

        var unload = await Server.PostAsync("v1/unload_lora_adapter", new { lora_name = "manual-lora" });
        Assert.Equal(200, unload.Status);
        Assert.DoesNotContain(await ModelsAsync(), m => m.GetProperty("id").GetString() == "manual-lora");
        var gone = await Server.PostAsync("v1/chat/completions", new { model = "manual-lora", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(404, gone.Status);
        Assert.Equal("model_not_found", gone.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(404, (await Server.PostAsync("v1/unload_lora_adapter", new { lora_name = "manual-lora" })).Status);
    }

    [Fact]
    public async Task An_adapter_unloaded_by_hand_is_not_brought_back_by_the_folder_scan()
    {
        CreateAdapter(Path.Combine(SharedServer.AdaptersFolder, "sticky-lora"), seed: 14);
        await WaitForModelAsync("sticky-lora");
        Assert.Equal(200, (await Server.PostAsync("v1/unload_lora_adapter", new { lora_name = "sticky-lora" })).Status);
        await Task.Delay(1500); // three polls
        Assert.DoesNotContain(await ModelsAsync(), m => m.GetProperty("id").GetString() == "sticky-lora");
    }

    [Theory]
    [InlineData("{}", 400, "lora_name")]
    [InlineData("{\"lora_name\":\"../etc\"}", 400, "lora_name")]
    [InlineData("{\"lora_name\":\"x\",\"lora_path\":\"/no/such/folder\"}", 404, "lora_path")]
    [InlineData("{\"lora_name\":\"nowhere-to-be-found\"}", 404, "lora_name")]
    [InlineData("{\"lora_name\":\"x\",\"lora_path\":\"/tmp\"}", 404, "lora_path")]
    public async Task Bad_admin_requests_are_4xx(string body, int status, string param)
    {
        var result = await Server.PostAsync("v1/load_lora_adapter", body);
        Assert.Equal(status, result.Status);
        Assert.Equal(param, result.Body.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_path_inside_the_adapters_folder_or_a_blob_prefix_loads()
    {
        CreateAdapter(Path.Combine(SharedServer.AdaptersFolder, "by-path", "p1"), seed: 15);
        var relative = await Server.PostAsync("v1/load_lora_adapter", new { lora_name = "by-relative-path", lora_path = "by-path/p1" });
        Assert.True(relative.Status == 200, relative.Body.ToString());
        var absolute = await Server.PostAsync("v1/load_lora_adapter", new { lora_name = "by-absolute-path", lora_path = Path.Combine(SharedServer.AdaptersFolder, "by-path", "p1") });
        Assert.True(absolute.Status == 200, absolute.Body.ToString());

        var local = CreateAdapter(Path.Combine(InferenceServer.CacheFolder, "upload-src", Guid.NewGuid().ToString("N")), seed: 16);
        var store = await AzuriteServer.CreateStoreAsync();
        var prefix = $"staged/{Guid.NewGuid():N}";
        await store.UploadFileAsync(BlobContainers.Adapters, $"{prefix}/{PeftFormat.WeightsFile}", Path.Combine(local, PeftFormat.WeightsFile));
        await store.UploadFileAsync(BlobContainers.Adapters, $"{prefix}/{PeftFormat.ConfigFile}", Path.Combine(local, PeftFormat.ConfigFile));
        var blob = await Server.PostAsync("v1/load_lora_adapter", new { lora_name = "by-blob-path", lora_path = $"blob:{prefix}" });
        Assert.True(blob.Status == 200, blob.Body.ToString());
        Assert.NotEqual(await GreedyAsync(Server.ModelName), await GreedyAsync("by-blob-path"));
    }

    /// <summary>
    /// Every path outside the adapters folder and the blob container, existing or not, adapter or not,
    /// gets the same 404: the endpoint can neither open nor probe the rest of the disk.
    /// </summary>
    [Fact]
    public async Task Paths_outside_the_adapter_store_are_refused_alike_and_never_opened()
    {
        // A real adapter planted outside the store, and links inside the store leading to it.
        var planted = CreateAdapter(Path.Combine(InferenceServer.CacheFolder, "planted", Guid.NewGuid().ToString("N")), seed: 17);
        var linkedFolder = Path.Combine(SharedServer.AdaptersFolder, "linked-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateSymbolicLink(linkedFolder, planted);
        var linkedFiles = Directory.CreateDirectory(Path.Combine(SharedServer.AdaptersFolder, "linked-files-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        foreach (var file in Directory.GetFiles(planted))
            File.CreateSymbolicLink(Path.Combine(linkedFiles, Path.GetFileName(file)), file);

        string[] paths =
        [
            "/etc", "/root", "/no/such/folder", "/", planted, "../planted", "../../../../etc", "by-path/../../planted",
            Path.GetFileName(linkedFolder), linkedFolder, linkedFiles, SharedServer.AdaptersFolder, "blob:../models/x", "blob:nothing-here",
        ];
        foreach (var path in paths)
        {
            var result = await Server.PostAsync("v1/load_lora_adapter", new { lora_name = "intruder", lora_path = path });
            Assert.True(result.Status == 404, $"{path}: {result.Status} {result.Body}");
            var error = result.Body.GetProperty("error");
            Assert.Equal("adapter_not_found", error.GetProperty("code").GetString());
            Assert.Equal("lora_path", error.GetProperty("param").GetString());
            // The same words for every path: only the echoed path differs.
            Assert.Equal(Refusal("P"), error.GetProperty("message").GetString()!.Replace($"'{path}'", "'P'"));
        }
        Assert.DoesNotContain(await ModelsAsync(), m => m.GetProperty("id").GetString() == "intruder");
        // The folder scan does not follow the links either.
        await Task.Delay(1200);
        Assert.DoesNotContain(await ModelsAsync(), m => m.GetProperty("id").GetString()!.StartsWith("linked-", StringComparison.Ordinal));
    }

    private static string Refusal(string path) =>
        $"No adapter at '{path}'. 'lora_path' must name an adapter folder inside the adapters folder (Inference:AdaptersFolder), " +
        "or 'blob:PREFIX' for a prefix in blob storage's 'adapters' container.";
}
