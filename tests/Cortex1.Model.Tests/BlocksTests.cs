using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>Each block against a direct scalar computation on small tensors.</summary>
public class BlocksTests
{
    static float[] Rand(int n, int seed) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(); }

    [Fact]
    public void RmsNormMatchesDefinition()
    {
        var x = Rand(2 * 8, 1); var w = Rand(8, 2);
        using var y = Blocks.RmsNorm(tensor(x, [2, 8]), tensor(w), 1e-6);
        var got = y.data<float>().ToArray();
        for (var r = 0; r < 2; r++)
        {
            var ms = Enumerable.Range(0, 8).Average(i => (double)x[r * 8 + i] * x[r * 8 + i]);
            for (var i = 0; i < 8; i++) Assert.Equal(x[r * 8 + i] / Math.Sqrt(ms + 1e-6) * w[i], got[r * 8 + i], 5);
        }
    }

    [Fact]
    public void SwiGluMatchesDefinition()
    {
        var g = Rand(10, 3); var u = Rand(10, 4);
        using var y = Blocks.SwiGlu(tensor(g), tensor(u));
        var got = y.data<float>().ToArray();
        for (var i = 0; i < 10; i++) Assert.Equal(g[i] / (1 + Math.Exp(-g[i])) * u[i], got[i], 5);
    }

    [Fact]
    public void RopeRotatesEachPairByPositionTimesFrequency()
    {
        const int n = 3, heads = 2, d = 8;
        var x = Rand(n * heads * d, 5);
        var inv = Blocks.RopeInverseFrequencies(d, 10000, null);
        using var pos = tensor(new long[] { 0, 5, 17 });
        var (cos, sin) = Blocks.RopeTables(pos, tensor(inv), ScalarType.Float32);
        using var y = Blocks.ApplyRope(tensor(x, [n, heads, d]), cos, sin);
        var got = y.data<float>().ToArray();
        long[] p = [0, 5, 17];
        for (var t = 0; t < n; t++)
        for (var h = 0; h < heads; h++)
        for (var i = 0; i < d / 2; i++)
        {
            // HF's rotate_half pairs element i with i + d/2 as (real, imaginary).
            var b = (t * heads + h) * d;
            var angle = p[t] * (1.0 / Math.Pow(10000, 2.0 * i / d));
            double re = x[b + i], im = x[b + i + d / 2];
            Assert.Equal(re * Math.Cos(angle) - im * Math.Sin(angle), got[b + i], 4);
            Assert.Equal(re * Math.Sin(angle) + im * Math.Cos(angle), got[b + i + d / 2], 4);
        }
    }

    [Theory]
    [InlineData(3, false)]   // several queries: the fused kernel
    [InlineData(3, true)]    // the reference ops
    [InlineData(1, false)]   // one query (a decode step): the reference ops, reading the cache in place
    public void AttentionWithCausalMaskAndGqaMatchesLoops(int t, bool reference)
    {
        const int heads = 4, kvHeads = 2, past = 2, d = 4;
        var s = past + t;
        var q = Rand(heads * t * d, 6); var k = Rand(kvHeads * s * d, 7); var v = Rand(kvHeads * s * d, 8);
        using var mask = Blocks.CausalMask(past, t, CPU);
        Func<Tensor, Tensor, Tensor, Tensor?, Tensor> attention = reference
            ? (q, k, v, m) => Blocks.ReferenceAttention(q, k, v, m)
            : (q, k, v, m) => Blocks.Attention(q, k, v, m);
        using var y = attention(tensor(q, [1, heads, t, d]), tensor(k, [1, kvHeads, s, d]), tensor(v, [1, kvHeads, s, d]), mask.unsqueeze(0));
        var got = y.data<float>().ToArray();
        for (var h = 0; h < heads; h++)
        {
            var kv = h / (heads / kvHeads);
            for (var i = 0; i < t; i++)
            {
                var visible = past + i + 1;
                var scores = new double[visible];
                for (var j = 0; j < visible; j++)
                    scores[j] = Enumerable.Range(0, d).Sum(e => (double)q[(h * t + i) * d + e] * k[(kv * s + j) * d + e]) / Math.Sqrt(d);
                var max = scores.Max();
                var w = scores.Select(x => Math.Exp(x - max)).ToArray();
                var sum = w.Sum();
                for (var e = 0; e < d; e++)
                {
                    var expected = Enumerable.Range(0, visible).Sum(j => w[j] / sum * v[(kv * s + j) * d + e]);
                    Assert.Equal(expected, got[(h * t + i) * d + e], 5);
                }
            }
        }
    }

    [Fact]
    public void FusedAttentionMatchesAttentionWithGqaCausalAndPaddedRows()
    {
        // The GPU path (libtorch's SDPA), run here on the CPU against the reference path: causal mask, grouped KV heads,
        // and a left-padded row whose first query may attend to nothing (uniform, not NaN).
        using var scope = NewDisposeScope();
        long b = 2, heads = 6, kvHeads = 2, t = 5, d = 8;
        var q = randn([b, heads, t, d], generator: new TorchSharp.torch.Generator(21));
        var k = randn([b, kvHeads, t, d], generator: new TorchSharp.torch.Generator(22));
        var v = randn([b, kvHeads, t, d], generator: new TorchSharp.torch.Generator(23));
        var keyMask = tensor(new[] { true, true, true, true, true, false, false, true, true, true }, [b, t]);
        var allowed = Blocks.CausalMask(0, t, CPU).unsqueeze(0).logical_and(keyMask.unsqueeze(1));
        var expected = Blocks.ReferenceAttention(q, k, v, allowed);
        var fused = Blocks.FusedAttention(q, k, v, allowed);
        Assert.False(fused.isnan().any().item<bool>());
        Assert.True((fused - expected).abs().max().item<float>() < 1e-5);
        var unmasked = (Blocks.FusedAttention(q, k, v, null) - Blocks.ReferenceAttention(q, k, v, null)).abs().max().item<float>();
        Assert.True(unmasked < 1e-5, $"{unmasked}");
    }

    [Fact]
    public void CausalWithoutAMaskEqualsTheCausalMask()
    {
        // A fresh prompt and an unpadded batch run causal attention with no [T, S] mask; it must be the masked result.
        using var scope = NewDisposeScope();
        long heads = 4, kvHeads = 2, t = 7, d = 8;
        var q = randn([2, heads, t, d], generator: new TorchSharp.torch.Generator(41));
        var k = randn([2, kvHeads, t, d], generator: new TorchSharp.torch.Generator(42));
        var v = randn([2, kvHeads, t, d], generator: new TorchSharp.torch.Generator(43));
        var masked = Blocks.ReferenceAttention(q, k, v, Blocks.CausalMask(0, t, CPU).unsqueeze(0));
        foreach (var got in new[] { Blocks.FusedAttention(q, k, v, null, causal: true), Blocks.ReferenceAttention(q, k, v, null, causal: true), Blocks.Attention(q, k, v, null, causal: true) })
            Assert.True((got - masked).abs().max().item<float>() < 1e-5);
        Assert.Throws<ArgumentException>(() => Blocks.Attention(q, k, v, Blocks.CausalMask(0, t, CPU).unsqueeze(0), causal: true));
    }

    [Fact]
    public void FusedAttentionHasTheReferenceGradients()
    {
        // Training backpropagates through the fused kernel: its gradients must be the reference ops' gradients.
        using var scope = NewDisposeScope();
        long heads = 4, kvHeads = 2, t = 6, d = 8;
        Tensor Input(long h, int seed) => randn([1, h, t, d], generator: new TorchSharp.torch.Generator((ulong)seed)).requires_grad_();
        var (q, k, v) = (Input(heads, 31), Input(kvHeads, 32), Input(kvHeads, 33));
        var weights = randn([1, heads, t, d], generator: new TorchSharp.torch.Generator(34));
        var allowed = Blocks.CausalMask(0, t, CPU).unsqueeze(0);
        Tensor[] Gradients(Func<Tensor, Tensor, Tensor, Tensor?, Tensor> attention)
        {
            foreach (var x in new[] { q, k, v }) x.grad?.zero_();
            (attention(q, k, v, allowed) * weights).sum().backward();
            return [q.grad!.clone(), k.grad!.clone(), v.grad!.clone()];
        }
        var reference = Gradients((q, k, v, m) => Blocks.ReferenceAttention(q, k, v, m));
        var fused = Gradients((q, k, v, m) => Blocks.FusedAttention(q, k, v, m));
        for (var i = 0; i < 3; i++)
            Assert.True((fused[i] - reference[i]).abs().max().item<float>() < 1e-5, $"gradient {i}");
    }
}
