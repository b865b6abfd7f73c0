using Cortex1.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>How a forward's queries find their keys: through per-sequence KV caches, or a padded batch.</summary>
internal interface IAttentionPlan
{
    /// <summary>q [N, heads*d], k/v [N, kvHeads*d] (RoPE applied) → attention output [N, heads*d].</summary>
    Tensor Attend(int layer, Tensor q, Tensor k, Tensor v);
}

/// <summary>Sequences laid end to end in the N rows, each extending its own cache (prefill: one; decode: B of 1 row).</summary>
internal sealed class CachedPlan : IAttentionPlan
{
    readonly IReadOnlyList<(KvCache Cache, int Start, int Count)> _segments;
    readonly Tensor?[] _masks;
    readonly long _heads, _kvHeads, _headDim;

    public CachedPlan(IReadOnlyList<(KvCache Cache, int Start, int Count)> segments, long heads, long kvHeads, long headDim, Device device)
    {
        _segments = segments;
        _heads = heads; _kvHeads = kvHeads; _headDim = headDim;
        // The same for every layer (a cache's length moves only when the forward commits): built once, in the caller's scope.
        // A fresh cache's prompt needs none: plain causal attention (see Attend).
        _masks = segments.Select(s => s.Count > 1 && s.Cache.Length > 0 ? Blocks.CausalMask(s.Cache.Length, s.Count, device).unsqueeze(0) : null).ToArray();
    }

    public Tensor Attend(int layer, Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        var outs = new List<Tensor>(_segments.Count);
        for (var i = 0; i < _segments.Count; i++)
        {
            var (cache, start, count) = _segments[i];
            var qs = q.narrow(0, start, count).view(count, _heads, _headDim).transpose(0, 1).unsqueeze(0);
            var ks = k.narrow(0, start, count).view(count, _kvHeads, _headDim).transpose(0, 1);
            var vs = v.narrow(0, start, count).view(count, _kvHeads, _headDim).transpose(0, 1);
            var fresh = count > 1 && _masks[i] is null;   // a whole prompt into an empty cache
            var (allK, allV) = cache.Append(layer, ks, vs);
            var o = Blocks.Attention(qs, allK.unsqueeze(0), allV.unsqueeze(0), _masks[i], causal: fresh);
            outs.Add(o.squeeze(0).transpose(0, 1).reshape(count, _heads * _headDim));
        }
        return (outs.Count == 1 ? outs[0] : cat(outs, 0)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// B sequences of T rows each (row = b*T + t), no cache; query t of sequence b may read key s where
/// <c>allowed[b or 0, t, s]</c>, or causally when <c>allowed</c> is null (no padding). A padded batch passes causal ∧ key mask; a GRPO group laid out as one sequence
/// [prompt, completion 1, …, completion G] passes "the prompt and itself". The mask is built once per forward.
/// </summary>
internal sealed class BatchPlan(long batch, long time, Tensor? allowed, long heads, long kvHeads, long headDim) : IAttentionPlan
{
    public Tensor Attend(int layer, Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        var qs = q.view(batch, time, heads, headDim).transpose(1, 2);
        var ks = k.view(batch, time, kvHeads, headDim).transpose(1, 2);
        var vs = v.view(batch, time, kvHeads, headDim).transpose(1, 2);
        var o = Blocks.Attention(qs, ks, vs, allowed, causal: allowed is null);
        return o.transpose(1, 2).reshape(batch * time, heads * headDim).MoveToOuterDisposeScope();
    }
}

/// <summary>One transformer block: pre-norm attention and pre-norm SwiGLU MLP, each added to the residual stream.</summary>
public sealed class DecoderLayer : IDisposable
{
    readonly ModelConfig _c;
    public Tensor? InputNorm { get; internal set; }
    public Tensor? PostAttentionNorm { get; internal set; }
    /// <summary>HF module name (q_proj… or phi3's qkv_proj/gate_up_proj) → projection.</summary>
    public IReadOnlyDictionary<string, Projection> Projections { get; }

    internal DecoderLayer(ModelConfig c, int index)
    {
        _c = c;
        long h = c.HiddenSize, d = c.HeadDim, q = c.NumHeads * d, kv = c.NumKvHeads * d, inter = c.IntermediateSize;
        var p = new Dictionary<string, Projection>();
        void Add(string module, string name, long i, long o) => p[name] = new Projection($"model.layers.{index}.{module}.{name}", i, o);
        if (c.FusedProjections) { Add("self_attn", "qkv_proj", h, q + 2 * kv); Add("mlp", "gate_up_proj", h, 2 * inter); }
        else
        {
            Add("self_attn", "q_proj", h, q); Add("self_attn", "k_proj", h, kv); Add("self_attn", "v_proj", h, kv);
            Add("mlp", "gate_proj", h, inter); Add("mlp", "up_proj", h, inter);
        }
        Add("self_attn", "o_proj", q, h);
        Add("mlp", "down_proj", inter, h);
        Projections = p;
    }

    internal Tensor Forward(Tensor x, Tensor cos, Tensor sin, int layer, IAttentionPlan plan, AdapterRouting routing)
    {
        using var scope = NewDisposeScope();
        long d = _c.HeadDim, qn = _c.NumHeads * d, kvn = _c.NumKvHeads * d, n = x.shape[0];
        var p = Projections;

        var hAttn = Blocks.RmsNorm(x, InputNorm!, _c.RmsNormEps);
        Tensor q, k, v;
        if (_c.FusedProjections)
        {
            var qkv = p["qkv_proj"].Forward(hAttn, routing);
            q = qkv.narrow(1, 0, qn); k = qkv.narrow(1, qn, kvn); v = qkv.narrow(1, qn + kvn, kvn);
        }
        else { q = p["q_proj"].Forward(hAttn, routing); k = p["k_proj"].Forward(hAttn, routing); v = p["v_proj"].Forward(hAttn, routing); }
        q = Blocks.ApplyRope(q.reshape(n, _c.NumHeads, d), cos, sin).view(n, qn);
        k = Blocks.ApplyRope(k.reshape(n, _c.NumKvHeads, d), cos, sin).view(n, kvn);
        var attn = plan.Attend(layer, q, k, v.contiguous());
        x = x.Plus(p["o_proj"].Forward(attn, routing));

        var hMlp = Blocks.RmsNorm(x, PostAttentionNorm!, _c.RmsNormEps);
        Tensor gate, up;
        if (_c.FusedProjections)
        {
            var gu = p["gate_up_proj"].Forward(hMlp, routing);
            gate = gu.narrow(1, 0, _c.IntermediateSize); up = gu.narrow(1, _c.IntermediateSize, _c.IntermediateSize);
        }
        else { gate = p["gate_proj"].Forward(hMlp, routing); up = p["up_proj"].Forward(hMlp, routing); }
        x = x.Plus(p["down_proj"].Forward(Blocks.SwiGlu(gate, up), routing));
        return x.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        InputNorm?.Dispose(); PostAttentionNorm?.Dispose();
        foreach (var p in Projections.Values) p.Dispose();
    }
}

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
    public Tensor? Embedding { get; private set; }      // [vocab, hidden]
    /// <summary>The output projection [hidden → vocab]; with tied embeddings a transposed copy of the embedding, because
    /// the decode kernels and matmul want the [in, out] layout (and the lookup wants [vocab, hidden]).</summary>
    public Projection LmHead { get; }
    public Tensor? FinalNorm { get; private set; }
    public IReadOnlyList<DecoderLayer> Layers { get; }
    readonly Tensor _invFreq;

    public Decoder(ModelConfig config, ScalarType dtype, Device device, bool quantize)
    {
        Config = config; DType = dtype; Device = device; Quantized = quantize;
        Layers = Enumerable.Range(0, config.NumLayers).Select(i => new DecoderLayer(config, i)).ToArray();
        LmHead = new Projection("lm_head", config.HiddenSize, config.VocabSize);
        _invFreq = tensor(Blocks.RopeInverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling), device: device);
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
                Embedding?.Dispose(); Embedding = Keep(CheckShape(name, source, Config.VocabSize, Config.HiddenSize));
                if (Config.TieWordEmbeddings) LmHead.SetWeight(source, DType, Device, quantize: false);
                return true;
            case "lm_head.weight":
                if (Config.TieWordEmbeddings) return false;
                LmHead.SetWeight(source, DType, Device, quantize: false);
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
            if (parts[5] == "weight") { proj.SetWeight(source, DType, Device, Quantized); return true; }
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
        yield return ("model.embed_tokens.weight", Embedding!.to(dtype));
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
        var x = Embedding!.index_select(0, ids);
        var (cos, sin) = Blocks.RopeTables(positions, _invFreq, DType);
        for (var i = 0; i < Layers.Count; i++) x = Layers[i].Forward(x, cos, sin, i, plan, routing);
        return Blocks.RmsNorm(x, FinalNorm!, Config.RmsNormEps).MoveToOuterDisposeScope();
    }

    /// <summary>Hidden [N, hidden] → logits [N, vocab] in the compute dtype.</summary>
    internal Tensor Logits(Tensor hidden) => LmHead.Forward(hidden, AdapterRouting.None);

    public long WeightBytes =>
        (Embedding?.NumberOfElements ?? 0) * (Embedding?.ElementSize ?? 0) + (LmHead.HasWeight ? LmHead.StorageBytes : 0)
        + Layers.Sum(l => l.Projections.Values.Sum(p => p.StorageBytes));

    public void Dispose()
    {
        Embedding?.Dispose(); LmHead.Dispose(); FinalNorm?.Dispose(); _invFreq.Dispose();
        foreach (var l in Layers) l.Dispose();
    }
}
