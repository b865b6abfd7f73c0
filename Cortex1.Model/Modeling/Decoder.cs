using Cortex1.Model.Config;
using Cortex1.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>
/// The decoder shared by phi3, qwen2 and llama (they differ only in config: fused projections, q/k/v biases, tied
/// embeddings, RoPE theta/scaling). Weights are addressed by their HF tensor names for loading and saving.
/// </summary>
public sealed class Decoder : IDisposable
{
    public ModelConfig Config { get; }
    public ScalarType DType { get; }
    public Device Device { get; }
    public bool Quantized { get; }
    /// <summary>The block format of every matrix (layers, embedding, lm_head) when the block kernels run them; null otherwise.</summary>
    public BlockFormat? BlockWeights { get; }
    public KernelPath Kernels { get; }
    /// <summary>[vocab, hidden]; null when the embedding is block-quantised (<see cref="EmbeddingBlocks"/>).</summary>
    public Tensor? Embedding { get; private set; }
    /// <summary>The block-quantised embedding; with tied embeddings the lm_head's own matrix (stored once).</summary>
    public BlockMatrix? EmbeddingBlocks => _embeddingBlocks ?? (Config.TieWordEmbeddings ? LmHead.Blocks : null);
    BlockMatrix? _embeddingBlocks;
    /// <summary>The output projection [hidden → vocab]. Tied and dense, a transposed view of the embedding (its storage,
    /// once); tied and block-quantised, the one matrix the embedding lookup also reads.</summary>
    public Projection LmHead { get; }
    public Tensor? FinalNorm { get; private set; }
    public IReadOnlyList<DecoderLayer> Layers { get; }
    /// <summary>Every layer's projections (what LoRA adapters attach to), in export order.</summary>
    public IEnumerable<Projection> LayerProjections => Layers.SelectMany(l => l.Projections.Values);
    readonly Tensor _invFreq;

    /// <summary>
    /// Whether training forwards recompute each layer in backward instead of keeping its activations
    /// (<see cref="CheckpointedLayer"/>). On by default for models of a billion layer parameters or more, where the
    /// activations of a long sequence dominate memory; small models keep them, trading memory for a third less compute.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Layer parameters from which <see cref="GradientCheckpointing"/> is on by default.</summary>
    public const long CheckpointingFromParameters = 1_000_000_000;

    public Decoder(ModelConfig config, ScalarType dtype, Device device, bool quantize, BlockFormat? blocks = null, KernelPath? kernels = null)
    {
        Config = config; DType = dtype; Device = device; Quantized = quantize || blocks is not null;
        BlockWeights = blocks; Kernels = kernels ?? KernelPaths.Default;
        Layers = Enumerable.Range(0, config.NumLayers).Select(i => new DecoderLayer(config, i)).ToArray();
        LmHead = new Projection("lm_head", config.HiddenSize, config.VocabSize);
        _invFreq = tensor(Blocks.RopeInverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling), device: device);
        GradientCheckpointing = LayerProjections.Sum(p => p.In * p.Out) >= CheckpointingFromParameters;
    }

    /// <summary>All HF tensor names this model needs.</summary>
    public IEnumerable<string> RequiredTensorNames()
    {
        yield return "model.embed_tokens.weight";
        yield return "model.norm.weight";
        if (!Config.TieWordEmbeddings) yield return "lm_head.weight";
        for (var i = 0; i < Layers.Count; i++)
        {
            yield return $"model.layers.{i}.input_layernorm.weight";
            yield return $"model.layers.{i}.post_attention_layernorm.weight";
            foreach (var p in Layers[i].Projections.Values)
            {
                yield return p.Name + ".weight";
                if (HasBias(p)) yield return p.Name + ".bias";
            }
        }
    }

    bool HasBias(Projection p) => Config.AttentionBias && p.Name.EndsWith("_proj") && p.Name.Split('.')[^1] is "q_proj" or "k_proj" or "v_proj";

    /// <summary>Takes one HF tensor (converted/quantised here; the caller disposes the source). False when the name is not ours.</summary>
    public bool Assign(string name, Tensor source)
    {
        // Every temporary in a scope: one only the collector owns can be freed while libtorch still reads it.
        using var scope = NewDisposeScope();
        switch (name)
        {
            case "model.embed_tokens.weight":
                CheckShape(name, source, Config.VocabSize, Config.HiddenSize);
                Embedding?.Dispose(); Embedding = null; _embeddingBlocks?.Dispose(); _embeddingBlocks = null;
                if (BlockWeights is { } format)
                {
                    if (Config.TieWordEmbeddings) LmHead.SetBlockWeight(source, format, Kernels);
                    else _embeddingBlocks = BlockTensors.Quantize(source, format);
                    return true;
                }
                Embedding = Keep(source);
                if (Config.TieWordEmbeddings) LmHead.ShareTransposed(Embedding);
                return true;
            case "lm_head.weight":
                if (Config.TieWordEmbeddings) return false;
                // As the GGUF export (and llama.cpp's quantiser) does: a 4-bit model's own output projection is Q8_0.
                if (BlockWeights is not null) LmHead.SetBlockWeight(source, BlockFormat.Q8_0, Kernels);
                else LmHead.SetWeight(source, DType, Device, quantize: false);
                return true;
            case "model.norm.weight":
                FinalNorm?.Dispose(); FinalNorm = Keep(CheckShape(name, source, Config.HiddenSize)); return true;
        }
        if (!name.StartsWith("model.layers.")) return false;
        var parts = name.Split('.');
        if (!int.TryParse(parts[2], out var li) || li >= Layers.Count) return false;
        var layer = Layers[li];
        if (parts[3] == "input_layernorm") { layer.InputNorm?.Dispose(); layer.InputNorm = Keep(CheckShape(name, source, Config.HiddenSize)); return true; }
        if (parts[3] == "post_attention_layernorm") { layer.PostAttentionNorm?.Dispose(); layer.PostAttentionNorm = Keep(CheckShape(name, source, Config.HiddenSize)); return true; }
        if (parts.Length == 6 && layer.Projections.TryGetValue(parts[4], out var proj))
        {
            if (parts[5] == "weight")
            {
                if (BlockWeights is { } format) proj.SetBlockWeight(source, format, Kernels);
                else proj.SetWeight(source, DType, Device, Quantized);
                return true;
            }
            if (parts[5] == "bias" && HasBias(proj)) { proj.SetBias(source, DType, Device); return true; }
        }
        return false;
    }

    /// <summary>A fresh contiguous copy on our device/dtype, detached from any dispose scope the caller has open.</summary>
    Tensor Keep(Tensor source) => source.to(Device).to(DType).contiguous().clone().DetachFromDisposeScope();

    static Tensor CheckShape(string name, Tensor t, params long[] shape) =>
        t.shape.SequenceEqual(shape) ? t : throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", shape)}].");

    /// <summary>The weights in HF names and layout ([out, in]), in `dtype` (NF4 weights dequantised). Caller disposes.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> Export(ScalarType dtype)
    {
        if (EmbeddingBlocks is { } table) using (var e = BlockTensors.Dequantize(table)) yield return ("model.embed_tokens.weight", e.to(dtype));
        else yield return ("model.embed_tokens.weight", Embedding!.to(dtype));
        for (var i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            yield return ($"model.layers.{i}.input_layernorm.weight", l.InputNorm!.to(dtype));
            foreach (var p in l.Projections.Values)
            {
                using (var w = p.Weight(dtype)) yield return (p.Name + ".weight", w.t().contiguous());
                if (p.Bias is not null) yield return (p.Name + ".bias", p.Bias.to(dtype));
            }
            yield return ($"model.layers.{i}.post_attention_layernorm.weight", l.PostAttentionNorm!.to(dtype));
        }
        yield return ("model.norm.weight", FinalNorm!.to(dtype));
        if (!Config.TieWordEmbeddings) using (var w = LmHead.Weight(dtype)) yield return ("lm_head.weight", w.t().contiguous());
    }

    /// <summary>Token ids [N] at positions [N] → final-normed hidden states [N, hidden].</summary>
    internal Tensor Forward(Tensor ids, Tensor positions, IAttentionPlan plan, AdapterRouting routing)
    {
        using var scope = NewDisposeScope();
        var x = EmbeddingBlocks is { } table ? BlockTensors.Rows(table, ids).to(Device).to(DType) : Embedding!.index_select(0, ids);
        var (cos, sin) = Blocks.RopeTables(positions, _invFreq, DType);
        for (var i = 0; i < Layers.Count; i++)
            x = GradientCheckpointing && plan is BatchPlan batch
                ? CheckpointedLayer.Forward(Layers[i], x, cos, sin, i, batch, routing)
                : Layers[i].Forward(x, cos, sin, i, plan, routing);
        return Blocks.RmsNorm(x, FinalNorm!, Config.RmsNormEps).MoveToOuterDisposeScope();
    }

    /// <summary>Hidden [N, hidden] → logits [N, vocab] in the compute dtype.</summary>
    internal Tensor Logits(Tensor hidden) => LmHead.Forward(hidden, AdapterRouting.None);

    public long WeightBytes =>
        (Embedding?.NumberOfElements ?? 0) * (Embedding?.ElementSize ?? 0) + (_embeddingBlocks?.StorageBytes ?? 0)
        + (LmHead.HasWeight && !LmHead.SharesStorage ? LmHead.StorageBytes : 0)
        + LayerProjections.Sum(p => p.StorageBytes);

    public void Dispose()
    {
        Embedding?.Dispose(); _embeddingBlocks?.Dispose(); LmHead.Dispose(); FinalNorm?.Dispose(); _invFreq.Dispose();
        foreach (var l in Layers) l.Dispose();
    }
}
