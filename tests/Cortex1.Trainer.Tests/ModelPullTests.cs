using Cortex1.Data.Storage;
using Cortex1.Model.Config;
using Cortex1.Model.Tiny;
using Cortex1.TestSupport;
using Cortex1.Trainer.Hub;

namespace Cortex1.Trainer.Tests;

/// <summary>`models pull` against a fake hub speaking the real protocol: the files a model needs (and only those) land
/// in blob storage byte for byte, an interrupted download resumes with a range request, the token reaches only the
/// hub, and gated repos, missing files and corrupt downloads fail with messages that say what to do.</summary>
public sealed class ModelPullTests : IAsyncLifetime
{
    readonly FakeHub _hub = new();
    readonly string _staging = Path.Combine(Path.GetTempPath(), $"cortex1-pull-{Guid.NewGuid():N}");
    readonly string _repo = $"acme/tiny-{Guid.NewGuid():N}"[..20];
    Dictionary<string, byte[]> _files = [];

    public async Task InitializeAsync()
    {
        await _hub.StartAsync();
        var folder = TinyModel.Create(Path.Combine(_staging, "source"), "llama", seed: 2, new TinyModelOptions(MaxShardBytes: 60_000));
        _files = Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Contains("model.safetensors.index.json", _files.Keys);
        _files["README.md"] = "# tiny"u8.ToArray();
        _files["pytorch_model.bin"] = new byte[1000];   // another weight format: not pulled
        _hub.Repos[_repo] = new FakeHub.Repo(_files, [.. _files.Keys.Where(k => k.EndsWith(".safetensors") || k.EndsWith(".bin"))]);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        if (Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
    }

    HubClient Client(HttpClient http, string? token = null) => new(http, _hub.Endpoint, token);

    static HttpClient Http() => new(new SocketsHttpHandler { AllowAutoRedirect = false });

    [Fact]
    public async Task PullsTheModelFilesResumingAnInterruptedDownload()
    {
        var blobs = await AzuriteServer.CreateStoreAsync();
        using var http = Http();
        var shard = _files.Keys.Where(k => k.EndsWith(".safetensors")).Order().First();
        _hub.CutAfter[$"{_repo}/{shard}"] = 20_000;
        var log = new StringWriter();
        var pull = new ModelPull(Client(http, "hf_secret_token"), blobs, Path.Combine(_staging, "hub"), log);

        // The cut surfaces as an IOException mid-body (or an HttpRequestException wrapping one); the CLI reports both as resumable.
        var cut = await Assert.ThrowsAnyAsync<Exception>(() => pull.RunAsync(_repo, "main", default));
        Assert.True(cut is IOException or HttpRequestException, cut.ToString());
        var partial = Directory.GetFiles(Path.Combine(_staging, "hub"), "*.partial", SearchOption.AllDirectories).Single();
        var kept = new FileInfo(partial).Length;
        Assert.InRange(kept, 1, 20_000);

        Assert.Equal($"models/{_repo}", await pull.RunAsync(_repo, "main", default));
        var resumed = _hub.StorageRequests.Where(r => r.Path == $"{_repo}/{shard}").Select(r => r.Range).ToList();
        Assert.Equal([null, $"bytes={kept}-"], resumed);
        Assert.DoesNotContain(_hub.StorageRequests, r => r.Authorized);        // the token stays with the hub
        Assert.DoesNotContain("hf_secret_token", log.ToString());

        var stored = new Dictionary<string, long>();
        await foreach (var b in blobs.ListAsync(BlobContainers.Models, _repo + "/")) stored[b.Name[(_repo.Length + 1)..]] = b.Size;
        var expected = _files.Keys.Where(k => k is not ("README.md" or "pytorch_model.bin")).Append(ModelOrigin.FileName).Order();
        Assert.Equal(expected, stored.Keys.Order());
        var local = Path.Combine(_staging, "mirror");
        await new BlobMirror(blobs).MirrorAsync(BlobContainers.Models, _repo, local, default);
        foreach (var (name, bytes) in _files.Where(f => stored.ContainsKey(f.Key)))
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(local, name)));
        Assert.Equal(_repo, ModelOrigin.HubId(local));
        Assert.Empty(Directory.GetFiles(Path.Combine(_staging, "hub"), "*", SearchOption.AllDirectories));

        // Pulled again: everything is already there, nothing is downloaded.
        var before = _hub.StorageRequests.Count;
        await pull.RunAsync(_repo, "main", default);
        Assert.Equal(before, _hub.StorageRequests.Count);
    }

    [Fact]
    public async Task AGatedRepoSaysToSetTheTokenAndAWrongTokenIsRefused()
    {
        _hub.Repos["acme/gated"] = new FakeHub.Repo(_files, [], Token: "right");
        using var http = Http();
        var none = await Assert.ThrowsAsync<HubException>(() => Client(http).ListAsync("acme/gated", "main", default));
        Assert.Contains("HTTP 401", none.Message);
        Assert.Contains("HF_TOKEN", none.Message);
        var wrong = await Assert.ThrowsAsync<HubException>(() => Client(http, "wrong").ListAsync("acme/gated", "main", default));
        Assert.Contains("HTTP 403", wrong.Message);
        Assert.DoesNotContain("wrong", wrong.Message);
        var (commit, files) = await Client(http, "right").ListAsync("acme/gated", "main", default);
        Assert.Equal(_hub.Commit, commit);
        Assert.Equal(_files.Count, files.Count);
    }

    [Fact]
    public async Task AMissingRepoOrShardIsNamed()
    {
        using var http = Http();
        var blobs = await AzuriteServer.CreateStoreAsync();
        var pull = new ModelPull(Client(http), blobs, Path.Combine(_staging, "hub"), TextWriter.Null);
        var repo = await Assert.ThrowsAsync<HubException>(() => pull.RunAsync("acme/nope", "main", default));
        Assert.Contains("HTTP 404", repo.Message);
        var files = new Dictionary<string, byte[]>(_files);
        var shard = files.Keys.First(k => k.EndsWith(".safetensors"));
        files.Remove(shard);
        _hub.Repos["acme/broken"] = new FakeHub.Repo(files, [.. files.Keys.Where(k => k.EndsWith(".safetensors"))]);
        var missing = await Assert.ThrowsAsync<HubException>(() => pull.RunAsync("acme/broken", "main", default));
        Assert.Contains(shard, missing.Message);
    }

    [Fact]
    public async Task ACorruptDownloadFailsItsChecksumAndIsNotKept()
    {
        using var http = Http();
        var shard = _files.Keys.Where(k => k.EndsWith(".safetensors")).Order().Last();
        _hub.Corrupt[$"{_repo}/{shard}"] = true;
        var (commit, files) = await Client(http).ListAsync(_repo, "main", default);
        var target = Path.Combine(_staging, "one", shard);
        var e = await Assert.ThrowsAsync<HubException>(() => Client(http).DownloadAsync(_repo, commit, files.Single(f => f.Path == shard), target, null, default));
        Assert.Contains("sha256", e.Message);
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + ".partial"));
        // A git file is checked by its blob id; without the hub's sizes (no ?blobs=true), X-Linked-* still give them.
        await Client(http).DownloadAsync(_repo, commit, files.Single(f => f.Path == "config.json"), Path.Combine(_staging, "one", "config.json"), null, default);
        _hub.Corrupt.Clear();
        await Client(http).DownloadAsync(_repo, commit, new HubFile(shard, null, null, null), target, null, default);
        Assert.Equal(_files[shard], await File.ReadAllBytesAsync(target));
    }
}
