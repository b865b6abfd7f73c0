using Cortex1.Data.Storage;
using Cortex1.TestSupport;

namespace Cortex1.Data.Tests;

/// <summary>The one reading of a base model's name that the Trainer (API, command, job) and Inference share.</summary>
public class BaseModelReferenceTests
{
    [Theory]
    [InlineData("tiny", null, null)]
    [InlineData("cortex1-baby", null, null)]
    [InlineData("models/microsoft/phi-4", "microsoft/phi-4", null)]
    [InlineData("models/microsoft/phi-4/", "microsoft/phi-4", null)]
    [InlineData("/data/phi-4", null, "/data/phi-4")]
    [InlineData("phi-4", null, "phi-4")]                  // a relative folder, not a blob prefix
    [InlineData("Tiny", null, "Tiny")]                    // names are exact
    [InlineData("modelsx/phi-4", null, "modelsx/phi-4")]
    public void Parses_the_three_forms(string text, string? prefix, string? folder)
    {
        var reference = BaseModelReference.Parse(text);
        Assert.Equal((prefix, folder, prefix is null && folder is null), (reference.BlobPrefix, reference.Folder, reference.IsEmbedded));
        Assert.Equal(text == "tiny", reference.IsTiny);
        Assert.Equal(text.TrimEnd('/'), reference.ToString());
    }

    [Theory]
    [InlineData("microsoft/phi-4")]
    [InlineData("models/microsoft/phi-4")]   // Inference:ModelBlob given as the Trainer spells it
    [InlineData("/microsoft/phi-4/")]
    public void A_blob_prefix_reads_the_same_bare_or_as_a_reference(string prefix) =>
        Assert.Equal("microsoft/phi-4", BaseModelReference.Blob(prefix).BlobPrefix);

    [Fact]
    public async Task Says_what_is_missing_and_mirrors_what_is_there()
    {
        var blobs = await AzuriteServer.CreateStoreAsync();
        var prefix = $"test-{Guid.NewGuid():N}";
        var cache = Directory.CreateTempSubdirectory("cortex1-models-").FullName;
        try
        {
            var inBlobs = BaseModelReference.Parse($"models/{prefix}");
            Assert.Equal($"No model at models/{prefix}/ in blob storage (no config.json): upload the Hugging Face folder there first.",
                await inBlobs.ProblemAsync(blobs, default));
            await blobs.UploadTextAsync(BlobContainers.Models, $"{prefix}/config.json", "{}");
            await blobs.UploadTextAsync(BlobContainers.Models, $"{prefix}/tokenizer.json", "{\"t\":1}");
            Assert.Null(await inBlobs.ProblemAsync(blobs, default));
            var folder = await inBlobs.LocalFolderAsync(new BlobMirror(blobs), cache, default);
            Assert.Equal(Path.Combine(cache, "models", prefix), folder);
            Assert.Equal("{\"t\":1}", await File.ReadAllTextAsync(Path.Combine(folder, "tokenizer.json")));

            var local = BaseModelReference.Parse(Path.Combine(cache, "not-a-model"));
            Assert.Contains("is not a Hugging Face model folder (no config.json)", await local.ProblemAsync(blobs, default));
            await Assert.ThrowsAsync<DirectoryNotFoundException>(() => local.LocalFolderAsync(new BlobMirror(blobs), cache, default));
            Assert.Null(await BaseModelReference.Parse(folder).ProblemAsync(blobs, default));   // the mirrored copy is a model folder
            Assert.Null(await BaseModelReference.Tiny.ProblemAsync(blobs, default));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
