namespace Cortex1.Data.Storage;

/// <summary>
/// A base model as a run or the server names it: an embedded model (<c>cortex1-baby</c>, the pretrained baby model, or
/// <c>tiny</c>, random weights for tests), <c>models/{prefix}</c> (a Hugging Face folder in blob storage) or a local Hugging
/// Face folder. Parsed, checked and mirrored only here.
/// </summary>
public sealed record BaseModelReference
{
    public const string TinyName = "tiny";
    public const string BabyName = "cortex1-baby";

    /// <summary>The models the engine carries itself: nothing to upload or mirror.</summary>
    public static IReadOnlyList<string> EmbeddedNames { get; } = [BabyName, TinyName];

    /// <summary>What the forms are called in messages.</summary>
    public const string Forms = "cortex1-baby or tiny (embedded), a local Hugging Face folder, or models/{prefix} in blob storage";

    /// <summary>The file that makes a folder a Hugging Face model.</summary>
    public const string ConfigFile = "config.json";

    private BaseModelReference(string? blobPrefix, string? folder, string? embedded = null) =>
        (BlobPrefix, Folder, Embedded) = (blobPrefix, folder, embedded);

    public static BaseModelReference Tiny { get; } = new(null, null, TinyName);

    public static BaseModelReference Baby { get; } = new(null, null, BabyName);

    /// <summary>The name of the embedded model, when the model is one.</summary>
    public string? Embedded { get; }

    /// <summary>The prefix under <see cref="BlobContainers.Models"/>, when the model is in blob storage.</summary>
    public string? BlobPrefix { get; }

    /// <summary>The local folder, when the model is one.</summary>
    public string? Folder { get; }

    public bool IsTiny => Embedded == TinyName;

    public bool IsEmbedded => Embedded is not null;

    /// <summary>A blob prefix, given bare (<c>microsoft/phi-4</c>) or as a reference (<c>models/microsoft/phi-4</c>).</summary>
    public static BaseModelReference Blob(string prefix)
    {
        prefix = prefix.Trim('/');
        return new(prefix.StartsWith(BlobContainers.Models + "/", StringComparison.Ordinal) ? prefix[(BlobContainers.Models.Length + 1)..] : prefix, null);
    }

    public static BaseModelReference Local(string folder) => new(null, folder);

    /// <summary>An embedded model's name, <c>models/{prefix}</c>, else a local folder.</summary>
    public static BaseModelReference Parse(string text) =>
        text == TinyName ? Tiny
        : text == BabyName ? Baby
        : text.StartsWith(BlobContainers.Models + "/", StringComparison.Ordinal) ? Blob(text[(BlobContainers.Models.Length + 1)..])
        : Local(text);

    public override string ToString() => BlobPrefix is { } p ? $"{BlobContainers.Models}/{p}" : Folder ?? Embedded ?? TinyName;

    public static bool IsModelFolder(string folder) => System.IO.File.Exists(Path.Combine(folder, ConfigFile));

    /// <summary>What is missing (no model at the prefix, a folder without a config.json), or null when the model is there.</summary>
    public async Task<string?> ProblemAsync(BlobStore blobs, CancellationToken ct) =>
        BlobPrefix is { } prefix
            ? await blobs.ExistsAsync(BlobContainers.Models, $"{prefix}/{ConfigFile}", ct)
                ? null
                : $"No model at {this}/ in blob storage (no {ConfigFile}): upload the Hugging Face folder there first."
            : Folder is { } folder && !IsModelFolder(folder)
                ? $"The base model '{folder}' is not a Hugging Face model folder (no {ConfigFile}); use {Forms}."
                : null;

    /// <summary>
    /// The local folder holding the model: the folder itself, or the blob prefix mirrored into
    /// <c>{cacheFolder}/models/{prefix}</c> (a restart reuses the files it has). Not for an embedded model, which the
    /// engine provides; a folder that is not a model is a <see cref="DirectoryNotFoundException"/>.
    /// </summary>
    public async Task<string> LocalFolderAsync(BlobMirror mirror, string cacheFolder, CancellationToken ct)
    {
        if (BlobPrefix is { } prefix)
            return await mirror.MirrorAsync(BlobContainers.Models, prefix, Path.Combine(cacheFolder, "models", prefix), ct);
        if (Folder is { } folder)
            return IsModelFolder(folder) ? folder : throw new DirectoryNotFoundException($"The base model '{folder}' is not a Hugging Face model folder (no {ConfigFile}); use {Forms}.");
        throw new InvalidOperationException($"The embedded model '{Embedded}' is provided by the engine, not read from storage.");
    }
}
