using System.Runtime.CompilerServices;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Cortex1.Data.Storage;

/// <summary>The blob containers Cortex1 owns. Files live here; state lives in PostgreSQL.</summary>
public static class BlobContainers
{
    public const string Datasets = "datasets";
    public const string Models = "models";
    public const string Adapters = "adapters";
    public const string Reports = "reports";
    public const string Exports = "exports";

    public static IReadOnlyList<string> All { get; } = [Datasets, Models, Adapters, Reports, Exports];
}

/// <summary>One stored file as listed.</summary>
public sealed record BlobItemInfo(string Container, string Name, long Size, DateTimeOffset? LastModified);

/// <summary>
/// Files in blob storage under validated names. Uploads are atomic: a block blob becomes visible
/// only when its block list is committed, so a reader sees the old file or the whole new one,
/// never half of it, however large the file.
/// </summary>
public sealed class BlobStore(BlobServiceClient service)
{
    public async Task EnsureContainersAsync(CancellationToken ct = default)
    {
        foreach (var name in BlobContainers.All)
            await service.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: ct);
    }

    public async Task UploadAsync(string container, string name, Stream content, CancellationToken ct = default) =>
        await Blob(container, name).UploadAsync(content, overwrite: true, ct);

    public async Task UploadTextAsync(string container, string name, string text, CancellationToken ct = default)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await UploadAsync(container, name, stream, ct);
    }

    public async Task UploadFileAsync(string container, string name, string path, CancellationToken ct = default)
    {
        await using var stream = File.OpenRead(path);
        await UploadAsync(container, name, stream, ct);
    }

    /// <summary>Reads a whole file in one request, so the text is one consistent version of it.</summary>
    public async Task<string> DownloadTextAsync(string container, string name, CancellationToken ct = default) =>
        (await DownloadBytesAsync(container, name, ct)).ToString();

    /// <summary>Reads a whole (small) file in one request: one consistent version of it.</summary>
    public async Task<BinaryData> DownloadBytesAsync(string container, string name, CancellationToken ct = default)
    {
        try
        {
            var content = await Blob(container, name).DownloadContentAsync(ct);
            return content.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new FileNotFoundException($"No blob '{name}' in container '{container}'.", $"{container}/{name}", e);
        }
    }

    /// <summary>
    /// Downloads to a local file, writing to a temporary name first so a crash leaves no partial file.
    /// The chunked download is pinned to one version (ETag); if the blob is replaced mid-way it starts over.
    /// </summary>
    public async Task DownloadToFileAsync(string container, string name, string path, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".part";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Blob(container, name).DownloadToAsync(tmp, ct);
                break;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                throw new FileNotFoundException($"No blob '{name}' in container '{container}'.", $"{container}/{name}", e);
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < 3)
            {
                // replaced while we read it: read the new version
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    public async Task<bool> ExistsAsync(string container, string name, CancellationToken ct = default) =>
        await Blob(container, name).ExistsAsync(ct);

    /// <summary>When the blob was last written (the service's clock, whole seconds), or null when there is none.</summary>
    public async Task<DateTimeOffset?> LastModifiedAsync(string container, string name, CancellationToken ct = default)
    {
        try
        {
            return (await Blob(container, name).GetPropertiesAsync(cancellationToken: ct)).Value.LastModified;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string container, string name, CancellationToken ct = default) =>
        await Blob(container, name).DeleteIfExistsAsync(cancellationToken: ct);

    /// <summary>
    /// The files under <paramref name="prefix"/>. A container nobody has created yet holds nothing: a reader (Inference)
    /// creates no containers, and may start before the services that do.
    /// </summary>
    public async IAsyncEnumerable<BlobItemInfo> ListAsync(string container, string? prefix = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (!string.IsNullOrEmpty(prefix)) BlobNames.Validate(prefix.TrimEnd('/'));
        await using var pages = Container(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).AsPages().GetAsyncEnumerator(ct);
        while (await NextPageAsync(pages))
            foreach (var item in pages.Current.Values)
                yield return new BlobItemInfo(container, item.Name, item.Properties.ContentLength ?? 0, item.Properties.LastModified);
    }

    private static async Task<bool> NextPageAsync(IAsyncEnumerator<Page<BlobItem>> pages)
    {
        try
        {
            return await pages.MoveNextAsync();
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            return false;
        }
    }

    private BlobContainerClient Container(string container)
    {
        if (!BlobContainers.All.Contains(container))
            throw new ArgumentException($"Unknown blob container '{container}'. Known: {string.Join(", ", BlobContainers.All)}.", nameof(container));
        return service.GetBlobContainerClient(container);
    }

    private BlobClient Blob(string container, string name) => Container(container).GetBlobClient(BlobNames.Validate(name));
}

/// <summary>Blob names are relative paths that cannot escape their container.</summary>
public static class BlobNames
{
    public const int MaxLength = 1024;

    /// <summary>Returns the name when it is safe, else throws <see cref="ArgumentException"/> saying why.</summary>
    public static string Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string? problem =
            name.Length == 0 ? "is empty" :
            name.Length > MaxLength ? $"is longer than {MaxLength} characters" :
            name.StartsWith('/') ? "starts with '/'" :
            name.Contains('\\') ? "contains '\\'" :
            name.Any(char.IsControl) ? "contains a control character" :
            name.Split('/').Any(s => s.Length == 0) ? "has an empty path segment" :
            name.Split('/').Any(s => s is "." or "..") ? "has a '.' or '..' segment" :
            null;
        return problem is null ? name : throw new ArgumentException($"Blob name '{Printable(name)}' {problem}.", nameof(name));
    }

    private static string Printable(string s) => new(s.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
