using System.Text.Json;
using Cortex1.Data.Storage;
using Cortex1.Model;
using Cortex1.Model.Lora;
using Cortex1.TestSupport;
using TorchSharp;

namespace Cortex1.Inference.Tests;

/// <summary>LoRA adapters as models: found in a folder or in blob storage, loaded and unloaded at run time.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class AdapterTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    /// <summary>Writes a PEFT adapter for the served tiny model whose weights are random (not the B = 0 start), so it changes answers.</summary>
    private string CreateAdapter(string folder, int seed)
    {
        using var model = LanguageModel.Load(Server.Host.Model.Folder);
        var parameters = model.AddAdapter("a", new LoraConfig(Rank: 4, Alpha: 8), seed);
        using (torch.no_grad())
        {
            torch.manual_seed(seed);
            foreach (var p in parameters) p.normal_(0, 0.5);
        }
        model.SaveAdapter("a", folder);
        return folder;
    }

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
    }

    [Fact]
    public async Task The_admin_endpoints_load_and_unload_at_run_time()
    {
        var folder = CreateAdapter(Path.Combine(InferenceServer.CacheFolder, "manual", "m1"), seed: 13);
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
    [InlineData("{\"lora_name\":\"x\",\"lora_path\":\"/tmp\"}", 400, "lora_path")]
    public async Task Bad_admin_requests_are_4xx(string body, int status, string param)
    {
        var result = await Server.PostAsync("v1/load_lora_adapter", body);
        Assert.Equal(status, result.Status);
        Assert.Equal(param, result.Body.GetProperty("error").GetProperty("param").GetString());
    }
}
