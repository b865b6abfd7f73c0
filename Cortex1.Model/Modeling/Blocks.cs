using Cortex1.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>The decoder's stateless building blocks, each as its paper (and HF's modeling code) defines it.</summary>
public static class Blocks
{
    /// <summary>RMSNorm (Zhang &amp; Sennrich 2019): x / sqrt(mean(x²) + eps) * weight, computed in fp32 as HF does.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps)
    {
        using var scope = NewDisposeScope();
        var xf = x.to(ScalarType.Float32);
        var normed = xf * xf.Power(2).mean([-1], keepdim: true).Plus(eps).rsqrt();
        return (weight * normed.to(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>SwiGLU (Shazeer 2020): silu(gate) * up.</summary>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        using var scope = NewDisposeScope();
        return (nn.functional.silu(gate) * up).MoveToOuterDisposeScope();
    }

    /// <summary>RoPE inverse frequencies θ^(-2i/d), with Llama 3's frequency-dependent scaling when configured.</summary>
    public static float[] RopeInverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var inv = new float[headDim / 2];
        for (var i = 0; i < inv.Length; i++)
        {
            var f = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
            if (scaling is { } s)
            {
                var lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
                var highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
                var wavelen = 2 * Math.PI / f;
                if (wavelen > lowWavelen) f /= s.Factor;
                else if (wavelen >= highWavelen)
                {
                    var smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    f = (1 - smooth) * f / s.Factor + smooth * f;
                }
            }
            inv[i] = (float)f;
        }
        return inv;
    }

    /// <summary>cos and sin tables [N, headDim] for the given positions (HF's non-interleaved layout: halves repeated).</summary>
    public static (Tensor Cos, Tensor Sin) RopeTables(Tensor positions, Tensor inverseFrequencies, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var freqs = positions.to(ScalarType.Float32).unsqueeze(1) * inverseFrequencies.unsqueeze(0);
        var emb = cat([freqs, freqs], 1);
        return scope.MoveToOuter(emb.cos().to(dtype), emb.sin().to(dtype));
    }

    /// <summary>Rotates x [N, heads, headDim] by its positions' angles: x·cos + rotate_half(x)·sin.</summary>
    public static Tensor ApplyRope(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos.unsqueeze(1)).Plus(rotated * sin.unsqueeze(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Scaled dot-product attention with grouped-query heads: q [B, heads, T, d], k/v [B, kvHeads, S, d].
    /// Query head h reads KV head h / (heads/kvHeads), as HF's repeat_kv does; we reshape q instead of copying K/V.
    /// `allowed` [B or 1, T, S] (true = may attend) or null for "all"; or `causal` (with no `allowed`, and T = S): query
    /// i sees keys 0..i, which the fused kernel runs without building a [T, S] mask at all. Or `bias`: such a mask already
    /// in <see cref="AdditiveMask"/>'s form, built once for every layer of a forward (a [T, S] float mask per layer would
    /// be rebuilt 40 times, and each kept by autograd for backward).
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? allowed, bool causal = false, Tensor? bias = null)
    {
        if (bias is not null) return FusedAttention(q, k, v, null, bias: bias);
        // Several queries per sequence (prefill, training) go through libtorch's fused kernel: on a GPU it never
        // materialises the [T, S] scores (long prompts × 40 heads would not fit), and on the CPU its flash kernel is far
        // faster than the ops below (docs/model-engine.md). A CPU decode step (one query) reads the cache in place
        // here instead: the fused path would first copy K/V to every query head, which costs more than it saves.
        if (causal && (allowed is not null || q.shape[2] != k.shape[2]))
            throw new ArgumentException("Causal attention takes no mask and as many queries as keys.");
        if (q.device_type == DeviceType.CUDA || q.shape[2] > 1) return FusedAttention(q, k, v, allowed, causal);
        return ReferenceAttention(q, k, v, allowed, causal);
    }

    /// <summary><see cref="Attention"/> written out in ops: the definition the fused kernel is tested against.</summary>
    public static Tensor ReferenceAttention(Tensor q, Tensor k, Tensor v, Tensor? allowed, bool causal = false)
    {
        using var scope = NewDisposeScope();
        if (causal) allowed = CausalMask(0, q.shape[2], q.device).unsqueeze(0);
        long b = q.shape[0], heads = q.shape[1], t = q.shape[2], d = q.shape[3], kvHeads = k.shape[1], s = k.shape[2];
        var groups = heads / kvHeads;
        var qg = q.reshape(b, kvHeads, groups * t, d);
        var scores = qg.matmul(k.transpose(-1, -2)).to(ScalarType.Float32).Times(1.0 / Math.Sqrt(d));
        if (allowed is not null)
            // -1e9 rather than -inf: a row with no allowed key (a left-pad query) then gets uniform weights, not NaN.
            scores = scores.view(b, kvHeads, groups, t, s).Fill(allowed.logical_not().view(-1, 1, 1, t, s), -1e9).view(b, kvHeads, groups * t, s);
        var probs = scores.softmax(-1).to(v.dtype);
        return probs.matmul(v).view(b, heads, t, d).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Attention"/> through libtorch's scaled_dot_product_attention (flash / memory-efficient kernels on CUDA).
    /// K/V heads are repeated to the query heads (HF's repeat_kv), as this TorchSharp's SDPA has no GQA flag, and the
    /// mask is additive (0 / −1e9) so that a row with no allowed key gets uniform weights, not NaN, as in Attention.
    /// </summary>
    public static Tensor FusedAttention(Tensor q, Tensor k, Tensor v, Tensor? allowed, bool causal = false, Tensor? bias = null)
    {
        using var scope = NewDisposeScope();
        long heads = q.shape[1], t = q.shape[2], kvHeads = k.shape[1], s = k.shape[2];
        var groups = heads / kvHeads;
        var keys = groups == 1 ? k : k.repeat_interleave(groups, dim: 1);
        var values = groups == 1 ? v : v.repeat_interleave(groups, dim: 1);
        var mask = bias ?? (allowed is null ? null : AdditiveMask(allowed, q.dtype));
        return nn.functional.scaled_dot_product_attention(q, keys, values, mask, is_casual: causal && mask is null).MoveToOuterDisposeScope();
    }

    /// <summary>`allowed` [B or 1, T, S] as the fused kernel's additive mask [B or 1, 1, T, S]: 0 where allowed, −1e9 where not.</summary>
    public static Tensor AdditiveMask(Tensor allowed, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        long t = allowed.shape[^2], s = allowed.shape[^1];
        return zeros(allowed.shape, dtype, allowed.device).Fill(allowed.logical_not(), -1e9).view(-1, 1, t, s).MoveToOuterDisposeScope();
    }

    /// <summary>Causal mask [T, S] for T new queries after `past` cached keys: query i sees keys 0..past+i.</summary>
    public static Tensor CausalMask(long past, long t, Device device)
    {
        using var scope = NewDisposeScope();
        var keys = Scalars.Range(0, past + t, device).unsqueeze(0);
        var queries = Scalars.Range(past, past + t, device).unsqueeze(1);
        return keys.le(queries).MoveToOuterDisposeScope();
    }
}
