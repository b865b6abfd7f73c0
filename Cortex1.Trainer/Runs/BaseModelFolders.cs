using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;

namespace Cortex1.Trainer.Runs;

/// <summary>A job's base model as a local folder: an embedded one written into the cache, else mirrored from blob storage
/// (or the local folder itself); a model that is not there fails the job at once (retrying cannot fix it).</summary>
public static class BaseModelFolders
{
    public static async Task<string> LocalAsync(string baseModel, BlobMirror mirror, string cacheFolder, CancellationToken ct)
    {
        var reference = BaseModelReference.Parse(baseModel);
        if (reference.IsEmbedded) return await Task.Run(() => EmbeddedModels.FolderOf(reference, cacheFolder)!, ct);
        try
        {
            return await reference.LocalFolderAsync(mirror, cacheFolder, ct);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new PermanentJobException(e.Message);
        }
    }
}
