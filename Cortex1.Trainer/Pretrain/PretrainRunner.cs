using Cortex1.Domain;
using Cortex1.Data.Storage;

namespace Cortex1.Trainer.Pretrain;

/// <summary>
/// One pretraining run against blob storage: reads the corpus's <c>train.jsonl</c> (never its eval split), pretrains,
/// and uploads the HF folder to <c>models/{name}/</c> (config.json last, so a reader never sees half a model), where
/// Inference and training runs find it.
/// </summary>
public static class PretrainRunner
{
    public static async Task<PretrainResult> RunAsync(PretrainRequest request, BlobStore blobs, string workFolder, Action<string> log,
        Pretrainer.Progress? progress, CancellationToken ct, string? keepFolder = null)
    {
        var train = await ReadAsync(blobs, request.Dataset, request.Version, "train.jsonl", ct);
        var folder = keepFolder ?? Path.Combine(workFolder, $"{request.Name.Replace('/', '-')}-{Guid.NewGuid():N}");
        try
        {
            var result = await Task.Run(() => Pretrainer.Run(train, request.Options(), folder, log, progress, ct), ct);
            await UploadAsync(blobs, folder, request.Name, ct);
            log($"published {BlobContainers.Models}/{request.Name}/");
            return result with { Folder = $"{BlobContainers.Models}/{request.Name}" };
        }
        finally
        {
            if (keepFolder is null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    public static async Task<IReadOnlyList<TrainingExample>> ReadAsync(BlobStore blobs, string dataset, string version, string file, CancellationToken ct)
    {
        var name = $"{dataset}/{version}/{file}";
        if (!await blobs.ExistsAsync(BlobContainers.Datasets, name, ct))
            throw new FileNotFoundException(
                $"No corpus at {BlobContainers.Datasets}/{name}: generate it first with `dotnet run --project Cortex1.Synth -- generate --dataset-size corpus --name {dataset} --teacher offline --prompt-profile compact`.");
        var text = await blobs.DownloadTextAsync(BlobContainers.Datasets, name, ct);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(DatasetJson.FromLine)];
    }

    public static async Task UploadAsync(BlobStore blobs, string folder, string name, CancellationToken ct)
    {
        foreach (var file in Directory.GetFiles(folder).OrderBy(f => Path.GetFileName(f) == "config.json"))
            await blobs.UploadFileAsync(BlobContainers.Models, $"{name}/{Path.GetFileName(file)}", file, ct);
    }
}
