namespace Cortex1.Data.Storage;

/// <summary>
/// Keeps a local copy of the files under a blob prefix (a model or an adapter folder), so a restart
/// reuses what it downloaded: a file is fetched again only when its size or date changed.
/// </summary>
public sealed class BlobMirror(BlobStore blobs)
{
    /// <summary>Mirrors <paramref name="container"/>/<paramref name="prefix"/>/ into <paramref name="folder"/>; returns the folder.</summary>
    public async Task<string> MirrorAsync(string container, string prefix, string folder, CancellationToken ct)
    {
        prefix = BlobNames.Validate(prefix.Trim('/')) + "/";
        var files = 0;
        await foreach (var blob in blobs.ListAsync(container, prefix, ct))
        {
            var local = Path.Combine(folder, blob.Name[prefix.Length..]);
            var info = new FileInfo(local);
            files++;
            if (info.Exists && info.Length == blob.Size && (blob.LastModified is not { } modified || info.LastWriteTimeUtc >= modified.UtcDateTime))
                continue;
            await blobs.DownloadToFileAsync(container, blob.Name, local, ct);
        }
        return files > 0 ? folder : throw new FileNotFoundException($"No files under '{container}/{prefix}' in blob storage.");
    }

    /// <summary>Names of the folders under <paramref name="container"/> that hold <paramref name="marker"/> (e.g. adapter_config.json).</summary>
    public async Task<IReadOnlyList<(string Prefix, DateTimeOffset? Modified)>> FoldersWithAsync(string container, string marker, CancellationToken ct)
    {
        var found = new List<(string, DateTimeOffset?)>();
        await foreach (var blob in blobs.ListAsync(container, null, ct))
            if (blob.Name.EndsWith("/" + marker, StringComparison.Ordinal))
                found.Add((blob.Name[..^(marker.Length + 1)], blob.LastModified));
        return found;
    }
}
