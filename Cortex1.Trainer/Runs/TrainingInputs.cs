using Cortex1.Data.Storage;

namespace Cortex1.Trainer.Runs;

/// <summary>
/// What a run reads: its data set in blob storage and its base model. Checked when a run is submitted (API and
/// command), so a typo is a clear error there, rather than a failed job whose name is then spent.
/// </summary>
public static class TrainingInputs
{
    /// <summary>What is missing, or null when the data set and the base model are there.</summary>
    public static async Task<string?> ProblemAsync(TrainingRunRequest request, BlobStore blobs, CancellationToken ct)
    {
        var dataset = DatasetPaths.Train(request.Dataset, request.Version);
        if (!await blobs.ExistsAsync(BlobContainers.Datasets, dataset, ct))
            return $"No data set at {BlobContainers.Datasets}/{dataset}: generate it first (Cortex1.Synth), or check the dataset name and version.";
        return await BaseModelReference.Parse(request.BaseModel).ProblemAsync(blobs, ct);
    }
}
