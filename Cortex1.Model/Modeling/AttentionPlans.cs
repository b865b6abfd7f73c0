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
/// [prompt, completion 1, …, completion G] passes "the prompt and itself". The mask is built once per forward, in the
/// fused kernel's additive form when there are several queries, and shared by every layer.
/// </summary>
internal sealed class BatchPlan : IAttentionPlan
{
    readonly long _batch, _time, _heads, _kvHeads, _headDim;

    /// <summary>The mask every layer reads: null (causal), `allowed` (bool, one query) or its additive form (float).</summary>
    public Tensor? Mask { get; }

    public BatchPlan(long batch, long time, Tensor? allowed, long heads, long kvHeads, long headDim, ScalarType dtype)
        : this(batch, time, allowed is not null && time > 1 ? Blocks.AdditiveMask(allowed, dtype) : allowed, heads, kvHeads, headDim) { }

    BatchPlan(long batch, long time, Tensor? mask, long heads, long kvHeads, long headDim)
    {
        _batch = batch; _time = time; Mask = mask; _heads = heads; _kvHeads = kvHeads; _headDim = headDim;
    }

    /// <summary>The same plan reading <paramref name="mask"/> (a handle of this plan's mask, e.g. one autograd kept).</summary>
    public BatchPlan WithMask(Tensor? mask) => new(_batch, _time, mask, _heads, _kvHeads, _headDim);

    public Tensor Attend(int layer, Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        var qs = q.view(_batch, _time, _heads, _headDim).transpose(1, 2);
        var ks = k.view(_batch, _time, _kvHeads, _headDim).transpose(1, 2);
        var vs = v.view(_batch, _time, _kvHeads, _headDim).transpose(1, 2);
        var additive = Mask is not null && Mask.dtype != ScalarType.Bool;
        var o = Blocks.Attention(qs, ks, vs, additive ? null : Mask, causal: Mask is null, bias: additive ? Mask : null);
        return o.transpose(1, 2).reshape(_batch * _time, _heads * _headDim).MoveToOuterDisposeScope();
    }
}
