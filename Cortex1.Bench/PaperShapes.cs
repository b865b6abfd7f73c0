using Cortex1.Model.Config;

namespace Cortex1.Bench;

/// <summary>Bytes one decoded token reads at 4 bits (Q4_0 layers and embedding row, Q8_0 untied lm_head: ggml's 18 and
/// 34 bytes per 32 weights, which the engine's block matrices also hold) and the floor that puts on decode at a given
/// bandwidth: decode is memory-bound, every weight streams once per token.</summary>
public static class PaperShapes
{
    public sealed record Shape(string Name, int Hidden, int Layers, int Heads, int KvHeads, int HeadDim, int Intermediate, int Vocab, bool Tied);

    public static readonly Shape[] FourteenB =
    [
        new("phi-4 (14.7B)", 5120, 40, 40, 10, 128, 17920, 100352, false),
        new("R1-Distill-Qwen-14B", 5120, 48, 40, 8, 128, 13824, 152064, false),
    ];

    public static Shape Of(string name, ModelConfig c) =>
        new(name, c.HiddenSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.HeadDim, c.IntermediateSize, c.VocabSize, c.TieWordEmbeddings);

    /// <summary>Weights per layer: q, k, v, o, gate, up, down.</summary>
    public static long LayerWeights(Shape s) =>
        (long)s.Hidden * s.Heads * s.HeadDim + 2L * s.Hidden * s.KvHeads * s.HeadDim + (long)s.Heads * s.HeadDim * s.Hidden + 3L * s.Hidden * s.Intermediate;

    public static double FourBitBytesPerToken(Shape s)
    {
        const double q4 = 18.0 / 32, q8 = 34.0 / 32;
        var layers = s.Layers * LayerWeights(s) * q4;
        var head = (double)s.Vocab * s.Hidden * (s.Tied ? q4 : q8);
        return layers + head + s.Hidden * q4;
    }

    public static double Fp32BytesPerToken(Shape s) => (s.Layers * LayerWeights(s) + (double)s.Vocab * s.Hidden) * 4;
}
