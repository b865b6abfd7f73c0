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
        var dataset = $"{request.Dataset}/{request.Version}/train.jsonl";
        if (!await blobs.ExistsAsync(BlobContainers.Datasets, dataset, ct))
            return $"No data set at {BlobContainers.Datasets}/{dataset}: generate it first (Cortex1.Synth), or check the dataset name and version.";
        if (request.BaseModel is "tiny" or Cortex1.Model.Baby.BabyModel.Name) return null;
        if (request.BaseModel.StartsWith(BlobContainers.Models + "/", StringComparison.Ordinal))
            return await blobs.ExistsAsync(BlobContainers.Models, $"{request.BaseModel[(BlobContainers.Models.Length + 1)..].TrimEnd('/')}/config.json", ct)
                ? null
                : $"No model at {request.BaseModel}/ in blob storage (no config.json): upload the Hugging Face folder there first.";
        return File.Exists(Path.Combine(request.BaseModel, "config.json"))
            ? null
            : $"The base model '{request.BaseModel}' is not a Hugging Face model folder (no config.json); use tiny, a local folder or models/{{prefix}}.";
    }
}
