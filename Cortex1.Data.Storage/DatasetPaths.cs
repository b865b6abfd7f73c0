namespace Cortex1.Data.Storage;

/// <summary>
/// Where a data set's files live in the <see cref="BlobContainers.Datasets"/> container: written by Synth, read by the
/// Trainer (and by any engine fed our data sets), so spelled only here.
/// </summary>
public static class DatasetPaths
{
    public const string TrainFile = "train.jsonl";
    public const string EvalFile = "eval.jsonl";
    public const string ManifestFile = "manifest.json";

    /// <summary><c>{dataset}/{version}</c>: the folder of one version of a data set.</summary>
    public static string Folder(string dataset, string version) => $"{dataset}/{version}";

    /// <summary><c>{dataset}/{version}/{file}</c>, for one of the files above.</summary>
    public static string File(string dataset, string version, string file) => $"{Folder(dataset, version)}/{file}";

    public static string Train(string dataset, string version) => File(dataset, version, TrainFile);

    /// <summary><c>{dataset}/{version}/{split}.jsonl</c> for a split by name (<c>train</c> or <c>eval</c>).</summary>
    public static string Split(string dataset, string version, string split) => File(dataset, version, $"{split}.jsonl");
}
