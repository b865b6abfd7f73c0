using System.Text.Json.Nodes;
using Cortex1.Data.Storage;
using Cortex1.Model.Config;
using Cortex1.Model.Loading;

namespace Cortex1.Trainer.Hub;

/// <summary>
/// Copies a hub model repo into blob storage as <c>models/{repo}/</c>, the base-model reference train and export take:
/// the config and tokenizer files, and the safetensors weights (the shards the index names, or the single file), each
/// downloaded (resumably) into a local staging folder, verified, uploaded, and removed. A file already in blob storage
/// at the hub's size is skipped, so a pull run again after an interruption continues where it stopped. config.json goes
/// up last: a folder with a config.json is a complete model to its readers.
/// </summary>
public sealed class ModelPull(HubClient hub, BlobStore blobs, string stagingFolder, TextWriter log)
{
    /// <summary>The files besides the weights that loading, tokenizing and chatting need (those the repo has).</summary>
    static readonly string[] SideFiles =
    [
        "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja", "config.json",
    ];

    public async Task<string> RunAsync(string repo, string revision, CancellationToken ct)
    {
        if (!ModelOrigin.IsHubId(repo)) throw new HubException($"'{repo}' is not a hub repo id (owner/name).");
        var (commit, files) = await hub.ListAsync(repo, revision, ct);
        var byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        if (!byPath.ContainsKey("config.json")) throw new HubException($"{repo} has no config.json at {revision}: not a transformers model repo.");
        await log.WriteLineAsync($"{repo}@{revision} is commit {commit} ({files.Count} files in the repo)");
        var staging = Path.Combine(stagingFolder, repo, commit);

        var weights = new List<HubFile>();
        if (byPath.TryGetValue(SafeTensors.IndexFile, out var index))
        {
            var local = await FetchAsync(repo, commit, index, staging, ct);
            var map = JsonNode.Parse(await File.ReadAllTextAsync(local, ct))!["weight_map"]?.AsObject()
                      ?? throw new HubException($"{repo}'s {SafeTensors.IndexFile} has no weight_map.");
            foreach (var shard in map.Select(kv => kv.Value!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal))
                weights.Add(byPath.TryGetValue(shard, out var f) ? f : throw new HubException($"{repo}'s index names the shard '{shard}', which the repo does not have (HTTP 404 for it)."));
            weights.Add(index);
        }
        else if (byPath.TryGetValue(SafeTensors.SingleFile, out var single)) weights.Add(single);
        else throw new HubException($"{repo} has no safetensors weights ({SafeTensors.SingleFile} or {SafeTensors.IndexFile}); other weight formats are not supported.");

        var wanted = weights.Concat(SideFiles.Where(byPath.ContainsKey).Select(n => byPath[n])).DistinctBy(f => f.Path).ToList();
        var present = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var b in blobs.ListAsync(BlobContainers.Models, repo + "/", ct)) present[b.Name[(repo.Length + 1)..]] = b.Size;
        var origin = Path.Combine(staging, ModelOrigin.FileName);
        for (var i = 0; i < wanted.Count; i++)
        {
            var file = wanted[i];
            if (file.Path == "config.json")
            {
                // The origin (the hub id adapters name as their base) goes up just before the config that completes the folder.
                Directory.CreateDirectory(staging);
                new ModelOrigin(repo, revision, commit).Write(staging);
                await blobs.UploadFileAsync(BlobContainers.Models, $"{repo}/{ModelOrigin.FileName}", origin, ct);
            }
            if (file.Size is { } size && present.TryGetValue(file.Path, out var stored) && stored == size)
            {
                await log.WriteLineAsync($"[{i + 1}/{wanted.Count}] {file.Path}: already in blob storage");
                continue;
            }
            var path = await FetchAsync(repo, commit, file, staging, ct, $"[{i + 1}/{wanted.Count}] ");
            await blobs.UploadFileAsync(BlobContainers.Models, $"{repo}/{file.Path}", path, ct);
            File.Delete(path);
        }
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        var reference = $"{BlobContainers.Models}/{repo}";
        await log.WriteLineAsync($"pulled {repo}@{commit[..Math.Min(12, commit.Length)]} into {reference}/");
        return reference;
    }

    async Task<string> FetchAsync(string repo, string commit, HubFile file, string staging, CancellationToken ct, string prefix = "")
    {
        var path = Path.Combine(staging, file.Path);
        if (File.Exists(path)) return path;
        var lastPercent = -10L;
        var progress = new SyncProgress<(long Done, long? Total)>(p =>
        {
            var percent = p.Total is > 0 ? p.Done * 100 / p.Total.Value : -1;
            if (percent >= 0 && percent < lastPercent + 10 && percent != 100) return;
            lastPercent = percent;
            log.WriteLine($"{prefix}{file.Path}: {p.Done / 1e6:F1}{(p.Total is { } t ? $" / {t / 1e6:F1} MB ({percent}%)" : " MB")}");
        });
        await hub.DownloadAsync(repo, commit, file, path, progress, ct);
        return path;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and print out of order).</summary>
    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
