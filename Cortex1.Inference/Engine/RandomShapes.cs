using Cortex1.Model.Config;
using Cortex1.Model.Tiny;
using static TorchSharp.torch;

namespace Cortex1.Inference.Engine;

/// <summary>
/// Random-weight models with the exact sizes of real checkpoints, for benchmarks where speed depends
/// on shape, not on what the weights say. The tokenizer and chat template are the family's tiny ones
/// (the vocabulary rows past them are never produced by the prompt, but are computed like the real ones).
/// </summary>
public static class RandomShapes
{
    private sealed record Shape(string Family, int Hidden, int Layers, int Heads, int KvHeads, int Intermediate, int Vocab, int Context);

    private static readonly Dictionary<string, Shape> Shapes = new(StringComparer.OrdinalIgnoreCase)
    {
        // Qwen/Qwen2-0.5B (and its instruct tune): 494M parameters, tied embeddings.
        ["qwen2-0.5b"] = new("qwen2", 896, 24, 14, 2, 4864, 151936, 32768),
        // Qwen/Qwen2-1.5B, the shape of DeepSeek-R1-Distill-Qwen-1.5B.
        ["qwen2-1.5b"] = new("qwen2", 1536, 28, 12, 2, 8960, 151936, 32768),
    };

    public static IReadOnlyCollection<string> Names => Shapes.Keys;

    /// <summary>Writes the named shape's random model (fp32, seeded) into <paramref name="folder"/>.</summary>
    public static string Create(string folder, string name, int seed = 1234)
    {
        if (!Shapes.TryGetValue(name, out var shape))
            throw new InvalidOperationException($"Inference:RandomShape '{name}' is not one of: {string.Join(", ", Shapes.Keys)}.");
        // The tiny model of the family supplies tokenizer, template and generation config; its weights are replaced.
        TinyModel.Create(folder, shape.Family, seed);
        foreach (var weights in Directory.EnumerateFiles(folder, "model*.safetensors*")) File.Delete(weights);
        var config = ModelConfig.Load(folder) with
        {
            HiddenSize = shape.Hidden, NumLayers = shape.Layers, NumHeads = shape.Heads, NumKvHeads = shape.KvHeads,
            IntermediateSize = shape.Intermediate, VocabSize = shape.Vocab, MaxPositionEmbeddings = shape.Context,
        };
        TinyModel.WriteRandomWeights(folder, config, seed, ScalarType.Float32);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        return folder;
    }
}
