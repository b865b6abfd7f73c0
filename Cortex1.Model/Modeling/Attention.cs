using Cortex1.Model.Config;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>
/// Grouped-query self-attention: q/k/v projections, RoPE on q and k, attention through the forward's
/// <see cref="IAttentionPlan"/> (KV caches or a batch mask), then o_proj. phi3 stores q/k/v as one fused qkv_proj,
/// qwen2 and llama as three; which one is decided here, when the layer is built.
/// </summary>
public sealed class Attention : IDisposable
{
    readonly int _heads, _kvHeads, _headDim;
    readonly Projection? _qkv, _q, _k, _v;

    public Projection Output { get; }

    /// <summary>The input projections by HF module name (q_proj, k_proj, v_proj, or phi3's qkv_proj).</summary>
    public IReadOnlyList<Projection> Inputs { get; }

    internal Attention(ModelConfig c, string prefix)
    {
        _heads = c.NumHeads; _kvHeads = c.NumKvHeads; _headDim = c.HeadDim;
        long h = c.HiddenSize, q = (long)c.NumHeads * c.HeadDim, kv = (long)c.NumKvHeads * c.HeadDim;
        if (c.FusedProjections)
        {
            _qkv = new Projection($"{prefix}.qkv_proj", h, q + 2 * kv);
            Inputs = [_qkv];
        }
        else
        {
            _q = new Projection($"{prefix}.q_proj", h, q);
            _k = new Projection($"{prefix}.k_proj", h, kv);
            _v = new Projection($"{prefix}.v_proj", h, kv);
            Inputs = [_q, _k, _v];
        }
        Output = new Projection($"{prefix}.o_proj", q, h);
    }

    /// <summary>x [N, hidden] (normed) → attention output projected back to [N, hidden].</summary>
    internal Tensor Forward(Tensor x, Tensor cos, Tensor sin, int layer, IAttentionPlan plan, AdapterRouting routing)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], qn = (long)_heads * _headDim, kvn = (long)_kvHeads * _headDim;
        Tensor q, k, v;
        if (_qkv is not null)
        {
            var qkv = _qkv.Forward(x, routing);
            q = qkv.narrow(1, 0, qn); k = qkv.narrow(1, qn, kvn); v = qkv.narrow(1, qn + kvn, kvn);
        }
        else { q = _q!.Forward(x, routing); k = _k!.Forward(x, routing); v = _v!.Forward(x, routing); }
        q = Blocks.ApplyRope(q.reshape(n, _heads, _headDim), cos, sin).view(n, qn);
        k = Blocks.ApplyRope(k.reshape(n, _kvHeads, _headDim), cos, sin).view(n, kvn);
        var attended = plan.Attend(layer, q, k, v.contiguous());
        return Output.Forward(attended, routing).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var p in Inputs) p.Dispose();
        Output.Dispose();
    }
}
