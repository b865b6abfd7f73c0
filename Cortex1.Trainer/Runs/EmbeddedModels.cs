using Cortex1.Data.Storage;
using Cortex1.Model.Baby;
using Cortex1.Model.Tiny;

namespace Cortex1.Trainer.Runs;

/// <summary>The folder of an embedded base model (<c>cortex1-baby</c>, <c>tiny</c>), written into the cache on first use:
/// the one place the Trainer's job, <c>export</c> and <c>eval-reward</c> turn an embedded name into weights.</summary>
public static class EmbeddedModels
{
    /// <summary>The model's folder, or null when <paramref name="reference"/> is not an embedded model.</summary>
    public static string? FolderOf(BaseModelReference reference, string cacheFolder) => reference.Embedded switch
    {
        BaseModelReference.TinyName => TinyModel.Embedded(cacheFolder),
        BaseModelReference.BabyName => EmbeddedBaby.Folder(cacheFolder),
        null => null,
        var other => throw new ArgumentException($"'{other}' is not an embedded model."),
    };
}
