using Cortex1.Data.CommandLine;
using Cortex1.Data.Storage;
using Cortex1.Model.Lora;
using Cortex1.Trainer.Runs;

namespace Cortex1.Trainer.Export;

/// <summary>An export's inputs as local folders, for the command and the job alike. Blob storage is asked for only when a reference names it.</summary>
public static class ExportInputs
{
    /// <summary>The base-model reference as the train command takes it (<see cref="BaseModelReference"/>), resolved to a local folder.</summary>
    public static async Task<string> BaseModelFolderAsync(Func<BlobStore> blobs, string cacheFolder, string text, CancellationToken ct)
    {
        var reference = BaseModelReference.Parse(text);
        if (EmbeddedModels.FolderOf(reference, cacheFolder) is { } embedded) return embedded;
        if (reference.Folder is { } typed)
            return BaseModelReference.IsModelFolder(CommandLineHost.ResolveUserPath(typed)) ? CommandLineHost.ResolveUserPath(typed)
                : throw new ArgumentException($"The base model '{typed}' is not a Hugging Face model folder (no {BaseModelReference.ConfigFile}); use {BaseModelReference.Forms}.");
        try { return await reference.LocalFolderAsync(new BlobMirror(blobs()), cacheFolder, ct); }
        catch (DirectoryNotFoundException e) { throw new ArgumentException(e.Message, e); }
    }

    /// <summary>A local PEFT adapter folder, else a published adapter's name mirrored from <c>adapters/{name}/</c>.</summary>
    public static async Task<string> AdapterFolderAsync(Func<BlobStore> blobs, string cacheFolder, string reference, CancellationToken ct)
    {
        var folder = CommandLineHost.ResolveUserPath(reference);
        if (File.Exists(Path.Combine(folder, PeftFormat.ConfigFile))) return folder;
        return await new BlobMirror(blobs()).MirrorAsync(BlobContainers.Adapters, reference, Path.Combine(cacheFolder, "adapters", reference), ct);
    }
}
