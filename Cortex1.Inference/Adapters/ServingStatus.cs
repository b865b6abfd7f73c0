using System.Text.Json;
using Cortex1.Data.Storage;

namespace Cortex1.Inference.Adapters;

/// <summary>
/// What this Inference instance serves, written to blob storage (<c>adapters/.serving/{instance}.json</c>) whenever it
/// changes: services never call each other, so this file is how the Trainer's pipeline learns that a new adapter is
/// being served. The folder name starts with a dot, so no adapter scan takes it for an adapter.
/// </summary>
public sealed record ServingStatus(string Model, IReadOnlyList<string> Adapters, DateTimeOffset At)
{
    public const string Folder = ".serving";

    public static string BlobName(string instance) => $"{Folder}/{instance}.json";

    public static async Task WriteAsync(BlobStore blobs, string instance, ServingStatus status, CancellationToken ct) =>
        await blobs.UploadTextAsync(BlobContainers.Adapters, BlobName(instance), JsonSerializer.Serialize(status, JsonSerializerOptions.Web), ct);
}
