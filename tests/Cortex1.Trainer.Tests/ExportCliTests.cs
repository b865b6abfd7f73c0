using Cortex1.Model.Tiny;
using Cortex1.Trainer.Export;

namespace Cortex1.Trainer.Tests;

/// <summary>The export command: a folder base to GGUF + Modelfile and to an hf folder; a bad reference is an error that says what is accepted.</summary>
public sealed class ExportCliTests
{
    [Fact]
    public async Task ExportsAFolderBaseToGgufAndHf()
    {
        var root = Path.Combine(Path.GetTempPath(), $"cortex1-export-cli-{Guid.NewGuid():N}");
        try
        {
            var model = TinyModel.Create(Path.Combine(root, "base"), "qwen2", seed: 9);
            var stdout = new StringWriter();
            var rc = await ExportCli.RunAsync(["export", "--base-model", model, "--format", "gguf", "--type", "q4_0", "--output", Path.Combine(root, "gguf")], stdout, TextWriter.Null);
            Assert.Equal(0, rc);
            var gguf = Path.Combine(root, "gguf", "base-q4_0.gguf");
            Assert.Equal("GGUF"u8.ToArray(), File.ReadAllBytes(gguf)[..4]);
            Assert.True(File.Exists(Path.Combine(root, "gguf", "Modelfile")));
            Assert.Contains("ollama create", stdout.ToString());
            Assert.Equal(0, await ExportCli.RunAsync(["export", "--base-model", model, "--format", "hf", "--output", Path.Combine(root, "hf")], TextWriter.Null, TextWriter.Null));
            Assert.Contains("\"bfloat16\"", File.ReadAllText(Path.Combine(root, "hf", "config.json")));

            var stderr = new StringWriter();
            Assert.Equal(2, await ExportCli.RunAsync(["export", "--base-model", Path.Combine(root, "nothing"), "--output", Path.Combine(root, "x")], TextWriter.Null, stderr));
            Assert.Contains("is not a Hugging Face model folder (no config.json); use cortex1-baby or tiny", stderr.ToString());
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
