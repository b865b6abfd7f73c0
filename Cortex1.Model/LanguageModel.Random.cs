using System.Diagnostics;
using Cortex1.Model.Config;
using Cortex1.Model.Devices;
using Cortex1.Model.Loading;
using Cortex1.Model.Modeling;
using Cortex1.Model.Nf4;
using static TorchSharp.torch;

namespace Cortex1.Model;

/// <summary>A model of any shape with random weights, made in memory: benchmarks of full-size shapes (phi-4's 14B)
/// without their weights on disk.</summary>
public sealed partial class LanguageModel
{
    /// <summary>
    /// <paramref name="config"/>'s decoder with seeded random weights (std 0.02, norms 1, biases 0) and the tokenizer and
    /// chat template of <paramref name="tokenizerFolder"/> (whose ids must fit the config's vocabulary). With NF4 the
    /// layer weights are drawn directly as codes (<see cref="Nf4Tensor.Random"/>), one tensor at a time, so no dense
    /// layer weight is ever made; the embeddings and lm_head stay in the compute dtype, as a loaded model's do.
    /// </summary>
    public static LanguageModel CreateRandom(ModelConfig config, string tokenizerFolder, LoadOptions options, int seed = 0, IProgress<string>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        var device = DeviceSelector.Resolve(options.Device);
        var dtype = options.DType ?? DeviceSelector.DefaultDType(device);
        var (tokenizer, template) = ReadTokenizer(tokenizerFolder, config);
        var decoder = new Decoder(config, dtype, device, options.Quantization == Quantization.Nf4);
        try
        {
            var generator = new Generator((ulong)seed, device);
            var projections = decoder.LayerProjections.ToDictionary(p => p.Name + ".weight");
            long peak = Environment.WorkingSet;
            foreach (var name in decoder.RequiredTensorNames())
            {
                using var scope = NewDisposeScope();
                if (decoder.Quantized && projections.TryGetValue(name, out var projection))
                    projection.SetWeight(Nf4Tensor.Random([projection.In, projection.Out], 0.05f, generator, device));
                else if (!decoder.Assign(name, RandomTensor(name, config, decoder, dtype, device, generator)))
                    throw new InvalidOperationException($"The decoder did not take its own tensor '{name}'.");
                peak = Math.Max(peak, Environment.WorkingSet);
            }
            progress?.Report($"Made random {config.ModelType} ({config.NumLayers} layers, {dtype}{(decoder.Quantized ? "/nf4" : "")}, {device.type}) in {sw.Elapsed.TotalSeconds:F1}s, weights {decoder.WeightBytes / 1e6:F0} MB");
            return new LanguageModel(tokenizerFolder, options, config, tokenizer, template, decoder, sw.Elapsed, peak);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>A random HF-layout tensor for <paramref name="name"/>: norms 1, biases 0, matrices N(0, 0.02²).</summary>
    static Tensor RandomTensor(string name, ModelConfig config, Decoder decoder, ScalarType dtype, Device device, Generator generator)
    {
        long hidden = config.HiddenSize, vocab = config.VocabSize;
        if (name.EndsWith("norm.weight")) return ones([hidden], dtype, device);
        if (name is "model.embed_tokens.weight" or "lm_head.weight") return randn([vocab, hidden], dtype, device, generator: generator).TimesInPlace(0.02);
        var projection = decoder.LayerProjections.First(p => name.StartsWith(p.Name + "."));
        return name.EndsWith(".bias") ? zeros([projection.Out], dtype, device)
            : randn([projection.Out, projection.In], dtype, device, generator: generator).TimesInPlace(0.02);
    }
}
