using Cortex1.Data.Storage;
using Cortex1.Inference.Engine;
using Cortex1.Inference.Scheduling;
using Cortex1.Inference.Validation;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Adapters;

/// <summary>
/// Loads and unloads LoRA adapters at run time. An adapter is a PEFT folder (adapter_config.json +
/// adapter_model.safetensors) named by the operator (<see cref="InferenceOptions.Adapters"/>), found in
/// <see cref="InferenceOptions.AdaptersFolder"/> or under the blob container <c>adapters</c> (mirrored into the cache
/// folder; there is no blob storage when <c>serve</c> runs alone); a path a request names must lie in the folder or
/// in storage (<see cref="AdapterPaths"/>).
/// The engine work runs on the scheduler's loop, between decode steps.
/// </summary>
public sealed partial class AdapterManager(
    IOptions<InferenceOptions> options, AdapterCatalog catalog, BatchScheduler scheduler,
    ILogger<AdapterManager> logger, BlobMirror? mirror = null)
{
    public const string ConfigFile = "adapter_config.json";

    /// <summary>A <c>lora_path</c> that names a prefix in the blob container <c>adapters</c> instead of a folder.</summary>
    public const string BlobPathScheme = "blob:";

    private readonly InferenceOptions _options = options.Value;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Adapters an operator unloaded: storage scans do not bring them back until loaded again by hand.</summary>
    private readonly HashSet<string> _unloadedByHand = new(StringComparer.Ordinal);

    /// <summary>Loads (or reloads) <paramref name="name"/> from <paramref name="path"/>, or finds it by name in the folder or storage.</summary>
    public async Task<AdapterInfo> LoadAsync(string name, string? path, CancellationToken ct)
    {
        ValidateName(name);
        await _gate.WaitAsync(ct);
        try
        {
            _unloadedByHand.Remove(name);
            return await LoadLockedAsync(name, path, version: null, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UnloadAsync(string name, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (!catalog.Remove(name))
                throw ApiException.ModelNotFound(name, catalog.Adapters.Select(a => a.Name));
            _unloadedByHand.Add(name);
            // New requests already get 404; the engine drops the weights once running sequences finish.
            await scheduler.RunOnEngineAsync(model => { model.UnloadAdapter(name); return true; }, afterAdapter: name);
            LogUnloaded(logger, name);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Loads adapters that appeared in the folder or in storage since the last scan, and reloads changed ones.</summary>
    public async Task SyncAsync(CancellationToken ct)
    {
        var found = new List<(string Name, string? Path, DateTimeOffset? Version)>();
        foreach (var (name, folder) in _options.Adapters)
            found.Add((name, folder, File.GetLastWriteTimeUtc(Path.Combine(folder, ConfigFile))));
        if (!string.IsNullOrWhiteSpace(_options.AdaptersFolder) && Directory.Exists(_options.AdaptersFolder))
            foreach (var config in Directory.EnumerateFiles(_options.AdaptersFolder, ConfigFile, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 }))
            {
                var folder = Path.GetDirectoryName(config)!;
                var name = Path.GetRelativePath(_options.AdaptersFolder, folder).Replace('\\', '/');
                if (!found.Any(f => f.Name == name))
                    found.Add((name, folder, File.GetLastWriteTimeUtc(config)));
            }
        if (mirror is not null)
            foreach (var (prefix, modified) in await mirror.FoldersWithAsync(BlobContainers.Adapters, ConfigFile, ct))
                if (!found.Any(f => f.Name == prefix))
                    found.Add((prefix, null, modified));

        await _gate.WaitAsync(ct);
        try
        {
            foreach (var (name, path, version) in found)
            {
                if (_unloadedByHand.Contains(name)) continue;
                if (catalog.TryGet(name, out var loaded) && loaded.Version >= version) continue;
                try
                {
                    await LoadLockedAsync(name, path, version, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogScanLoadFailed(logger, e, name);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<AdapterInfo> LoadLockedAsync(string name, string? path, DateTimeOffset? version, CancellationToken ct)
    {
        var (folder, source) = await LocateAsync(name, path, ct);
        if (!File.Exists(Path.Combine(folder, ConfigFile)))
            throw ApiException.BadRequest($"'{source}' is not a PEFT adapter folder (no {ConfigFile}).", "lora_path", "invalid_adapter");
        var reload = catalog.TryGet(name, out _);
        try
        {
            await scheduler.RunOnEngineAsync(model =>
            {
                if (reload) model.UnloadAdapter(name);
                model.LoadAdapter(name, folder);
                return true;
            }, afterAdapter: reload ? name : null);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or FormatException)
        {
            throw ApiException.BadRequest($"Adapter '{name}' could not be loaded: {e.Message}", "lora_path", "invalid_adapter");
        }
        var info = new AdapterInfo(name, DateTimeOffset.UtcNow, version ?? DateTimeOffset.UtcNow);
        catalog.Add(info);
        LogLoaded(logger, name, source);
        return info;
    }

    private async Task<(string Folder, string Source)> LocateAsync(string name, string? path, CancellationToken ct)
    {
        // The operator's own adapters are trusted wherever they are; a path from a request is confined below.
        if (_options.Adapters.TryGetValue(name, out var configured) && (string.IsNullOrWhiteSpace(path) || path == configured))
            return (configured, configured);
        if (!string.IsNullOrWhiteSpace(path))
        {
            if (path.StartsWith(BlobPathScheme, StringComparison.Ordinal))
                return await MirrorAsync(path[BlobPathScheme.Length..], name, ct)
                    ?? throw PathRefused(path);
            return AdapterPaths.Confine(_options.AdaptersFolder, path) is { } confined ? (confined, confined) : throw PathRefused(path);
        }
        if (AdapterPaths.Confine(_options.AdaptersFolder, name) is { } local) return (local, local);
        return await MirrorAsync(name, name, ct)
            ?? throw new ApiException(404, $"No adapter '{name}' in the adapters folder or in blob storage '{BlobContainers.Adapters}/{name}/'.",
                "invalid_request_error", "lora_name", "adapter_not_found");
    }

    /// <summary>The blob prefix's files mirrored into the cache folder (under the adapter's name), or null when there are none.</summary>
    private async Task<(string Folder, string Source)?> MirrorAsync(string prefix, string name, CancellationToken ct)
    {
        if (mirror is null) return null;
        try
        {
            BlobNames.Validate(prefix);
            var cached = Path.Combine(_options.CacheFolder, "adapters", name);
            return (await mirror.MirrorAsync(BlobContainers.Adapters, prefix, cached, ct), $"blob:{BlobContainers.Adapters}/{prefix}");
        }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>One answer for every path that is not an adapter where adapters belong, so it reveals nothing about the disk.</summary>
    private static ApiException PathRefused(string path) =>
        new(404, $"No adapter at '{path}'. 'lora_path' must name an adapter folder inside the adapters folder (Inference:AdaptersFolder), " +
            $"or '{BlobPathScheme}PREFIX' for a prefix in blob storage's '{BlobContainers.Adapters}' container.",
            "invalid_request_error", "lora_path", "adapter_not_found");

    private static void ValidateName(string name)
    {
        try
        {
            BlobNames.Validate(name);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest($"Invalid adapter name: {e.Message}", "lora_name", "invalid_value");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Adapter {Name} loaded from {Source}")]
    private static partial void LogLoaded(ILogger logger, string name, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adapter {Name} unloaded")]
    private static partial void LogUnloaded(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adapter {Name} found in storage could not be loaded")]
    private static partial void LogScanLoadFailed(ILogger logger, Exception e, string name);
}
