using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Nf4;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>Models of any shape with random weights, made in memory (the full-size memory bench's phi-4).</summary>
public class RandomModelTests
{
    [Fact]
    public void RandomNf4CodesCoverTheLevelsAtTheGivenScale()
    {
        using var w = Nf4Tensor.Random([128, 256], 0.05f, new Generator(3UL));
        Assert.Equal(new long[] { 128, 256 }, w.Shape);
        using var dense = w.Dequantize(ScalarType.Float32);
        var values = dense.data<float>().ToArray();
        var levels = Nf4Tensor.Levels.Select(l => l * 0.05f).ToArray();
        Assert.All(values, v => Assert.Contains(levels, l => Math.Abs(l - v) < 1e-7f));
        // Uniform over 16 levels: each appears about 1/16 of the time.
        foreach (var l in levels) Assert.InRange(values.Count(v => Math.Abs(v - l) < 1e-7f) / (double)values.Length, 0.05, 0.075);
    }

    [Fact]
    public void RandomModelOfAConfigRunsAndTrains()
    {
        var folder = TinyModels.Folder("phi3");
        var config = ModelConfig.Load(folder) with { NumLayers = 3, HiddenSize = 128, IntermediateSize = 192 };
        using var model = LanguageModel.CreateRandom(config, folder, new LoadOptions(Quantization.Nf4, ScalarType.Float32, "cpu"), seed: 4);
        Assert.Equal(3, model.Decoder.Layers.Count);
        var qkv = model.Decoder.Layers[2].Projections["qkv_proj"];
        Assert.True(qkv.IsQuantized);
        Assert.Equal((128L, 128L + 2 * 128 / config.NumHeads * config.NumKvHeads), (qkv.In, qkv.Out));
        // NF4 layers at 4.5 bits per weight, the embedding and lm_head dense in fp32.
        var layerWeights = model.Decoder.LayerProjections.Sum(p => p.In * p.Out);
        Assert.Equal(layerWeights / 2 + layerWeights / 64 * 4 + 2L * config.VocabSize * 128 * 4, model.Decoder.WeightBytes);

        var weights = model.AddAdapter("a", new Lora.LoraConfig(4, 8, 0), seed: 1);
        using var ids = tensor(new long[] { 1, 2, 3, 100, 5000 }, [1, 5]);
        using var logits = model.Forward(ids, adapter: "a");
        Assert.True(logits.isfinite().all().item<bool>());
        using (var loss = logits.log_softmax(-1)[0, .., 7].sum()) loss.backward();
        Assert.True(weights.Where((_, i) => i % 2 == 1).All(b => b.grad!.abs().sum().item<float>() > 0), "every LoRA B gets a gradient");
    }
}
