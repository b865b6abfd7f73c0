using System.Runtime.CompilerServices;
using Cortex1.Data.Storage;

namespace Cortex1.Inference.Reports;

/// <summary>The reports in blob storage's <c>reports</c> container, where the Trainer publishes them.</summary>
public sealed class BlobReports(BlobStore blobs) : ReportStore
{
    protected override async IAsyncEnumerable<(string Path, long Size, DateTimeOffset? Modified)> ListAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var blob in blobs.ListAsync(BlobContainers.Reports, null, ct))
            yield return (blob.Name, blob.Size, blob.LastModified);
    }

    protected override async Task<BinaryData?> ReadAsync(string path, CancellationToken ct)
    {
        try
        {
            return await blobs.DownloadBytesAsync(BlobContainers.Reports, path, ct);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
