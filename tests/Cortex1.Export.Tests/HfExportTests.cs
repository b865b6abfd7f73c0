using Cortex1.Model.Config;
using Cortex1.Model.Export;
using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using Cortex1.Model.Tokenization;
using static TorchSharp.torch;

namespace Cortex1.Export.Tests;

/// <summary>The hf format: a merged folder our loader (and so transformers' layout) reads back as base + adapter; and
/// the Modelfile beside a GGUF.</summary>
public sealed class HfExportTests
{
    [Theory]
    [InlineData("phi3", "f32", 1e-4)]
    [InlineData("qwen2", "bf16", 0.5)]
    public void MergedFolderComputesBasePlusAdapter(string family, string type, double bound)
    {
        var folder = Exports.Tiny(family);
        using var model = Exports.Load(folder);
        model.AddAdapter("a", new LoraConfig(4, 8, 0), seed: 3);
        using (no_grad())
            foreach (var p in model.AdapterParameters("a"))
                using (var r = randn(p.shape)) p.copy_(r.TimesInPlace(0.1));
        var adapter = Exports.NewFolder("hf-adapter");
        model.SaveAdapter("a", adapter);
        var tokens = TextTokenizer.Load(folder).Encode("ETH/BTC ratio 0.052, up 1.5%");
        var expected = Exports.EngineLogits(model, tokens, "a");

        var output = Exports.NewFolder("hf");
        ModelExport.Run(new ExportRequest(folder, adapter, "hf", type, output));
        Assert.Equal(type == "bf16" ? "bfloat16" : "float32", ModelConfig.Load(output).TorchDType);
        Assert.True(File.Exists(Path.Combine(output, "tokenizer.json")));
        using var merged = Exports.Load(output);
        var diff = Exports.MaxAbsDiff(expected, Exports.EngineLogits(merged, tokens));
        Assert.True(diff <= bound, $"{family} {type}: {diff}");
        Assert.True(Exports.MaxAbsDiff(expected, Exports.EngineLogits(model, tokens)) > bound, "the adapter should matter more than the bound");
    }

    [Fact]
    public void ModelfileNamesTheGgufTheTemplateAndTheStops()
    {
        var folder = Exports.Tiny("llama");
        var written = ModelExport.Run(new ExportRequest(folder, null, "gguf", "q8_0", Exports.NewFolder("ollama"), Name: "cortex1-tiny"));
        Assert.Equal("cortex1-tiny-q8_0.gguf", Path.GetFileName(written[0]));
        var text = File.ReadAllText(written[1]);
        Assert.StartsWith("FROM ./cortex1-tiny-q8_0.gguf\n", text);
        Assert.Contains("<|start_header_id|>{{ .Role }}<|end_header_id|>", text);
        Assert.Contains("PARAMETER stop \"<|eot_id|>\"", text);
    }
}
