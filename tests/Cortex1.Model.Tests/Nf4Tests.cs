using Cortex1.Model.Loading;
using Cortex1.Model.Nf4;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

public class Nf4Tests
{
    /// <summary>On N(0,1) weights NF4 (blocks of 64) has a relative RMS error of about 0.09 (QLoRA's information-
    /// theoretically optimal 4-bit code); we assert &lt; 0.11, and that storage is 4.5 bits per weight.</summary>
    [Fact]
    public void ReconstructionErrorOnRandomNormalWeights()
    {
        using var w = randn([256, 512], generator: new TorchSharp.torch.Generator(42));
        using var q = Nf4Tensor.Quantize(w);
        using var back = q.Dequantize(ScalarType.Float32);
        var rel = (back - w).pow(2).mean().sqrt().item<float>() / w.std().item<float>();
        Assert.InRange(rel, 0.05, 0.11);
        Assert.Equal(w.NumberOfElements / 2 + w.NumberOfElements / 64 * 4, q.StorageBytes);
        Assert.Equal(w.shape, back.shape);
        using var bf16 = q.Dequantize(ScalarType.BFloat16);
        using var expectedBf16 = back.to(ScalarType.BFloat16);
        Assert.Equal(0f, (bf16.to(ScalarType.Float32) - expectedBf16.to(ScalarType.Float32)).abs().max().item<float>());   // rounds like torch
    }

    [Fact]
    public void LevelTimesAbsmaxRoundTripsExactly()
    {
        var values = Enumerable.Range(0, 64).Select(i => Nf4Tensor.Levels[i % 16] * 3f).ToArray();
        using var q = Nf4Tensor.Quantize(tensor(values, [1, 64]));
        using var back = q.Dequantize(ScalarType.Float32);
        Assert.Equal(values, back.data<float>().ToArray());
        // First value in the high nibble, as bitsandbytes packs: codes 0 and 1 → 0x01.
        Assert.Equal(0x01, q.Packed.data<byte>()[0]);
    }

    /// <summary>The 4-bit model against its full-precision self: same argmax at most positions and small logit error.</summary>
    [Fact]
    public void Nf4LogitsTrackFullPrecision()
    {
        int[] tokens = [11, 500, 2024, 7, 93, 4000, 12, 77];
        using var full = TinyModels.Load("phi3");
        using var nf4 = TinyModels.Load("phi3", Quantization.Nf4);
        Assert.True(nf4.Decoder.Layers[0].Projections["qkv_proj"].IsQuantized);
        var a = TinyModels.FullLogits(full, tokens);
        var b = TinyModels.FullLogits(nf4, tokens);
        double err = 0, norm = 0;
        var sameArgmax = 0;
        for (var t = 0; t < tokens.Length; t++)
        {
            for (var i = 0; i < a[t].Length; i++) { err += Math.Pow(a[t][i] - b[t][i], 2); norm += Math.Pow(a[t][i], 2); }
            if (Generation.Sampler.ArgMax(a[t]) == Generation.Sampler.ArgMax(b[t])) sameArgmax++;
        }
        var rel = Math.Sqrt(err / norm);
        Assert.True(rel < 0.2, $"relative logit error {rel:F3}");
        Assert.True(rel > 0, "NF4 should not be lossless");
        Assert.True(sameArgmax >= tokens.Length / 2, $"argmax agreed at {sameArgmax}/{tokens.Length}, rel {rel:F4}");
    }
}

/// <summary>The fused decode kernels (NF4 and bf16, few rows, no grad) against dequantise-then-matmul.</summary>
public class DecodeKernelTests
{
    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 5)]
    [InlineData(false, 3)]
    public void KernelMatchesDequantisedMatmul(bool nf4, int rows)
    {
        var p = new Cortex1.Model.Modeling.Projection("t", 96, 192);
        using var hf = randn([192, 96], generator: new TorchSharp.torch.Generator(1));
        p.SetWeight(hf, ScalarType.BFloat16, CPU, quantize: nf4);
        using var x = randn([rows, 96], generator: new TorchSharp.torch.Generator(2));
        using var _ = no_grad();
        using var xin = nf4 ? x.alias() : x.to(ScalarType.BFloat16);
        using var y = p.Forward(xin, Cortex1.Model.Modeling.AdapterRouting.None);
        using var w = p.Weight(ScalarType.Float32);
        using var expected = xin.to(ScalarType.Float32).matmul(w);
        Assert.Equal(expected.shape, y.shape);
        var err = (y.to(ScalarType.Float32) - expected).abs().max().item<float>();
        Assert.True(err < (nf4 ? 1e-3 : 0.1), $"max error {err}");
        p.Dispose();
    }
}

/// <summary>Both widths of the NF4 decode kernel (AVX2; AVX-512 where the CPU has it) against dequantise-then-matmul.</summary>
public unsafe class Nf4KernelWidthTests
{
    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 4)]
    [InlineData(true, 1)]
    [InlineData(true, 7)]
    public void EachWidthMatchesDequantisedMatmul(bool wide, int rows)
    {
        if (!Cortex1.Model.Nf4.DecodeKernels.Supported) return;   // no AVX2: the engine uses torch ops, covered elsewhere
        if (wide && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => Run(wide, rows));
            return;
        }
        Run(wide, rows);
    }

    static void Run(bool wide, int rows)
    {
        const int inF = 160, outF = 256;
        using var scope = NewDisposeScope();
        var w = randn([inF, outF], generator: new TorchSharp.torch.Generator(3));
        using var q = Cortex1.Model.Nf4.Nf4Tensor.Quantize(w);
        var x = randn([rows, inF], generator: new TorchSharp.torch.Generator(4)).contiguous();
        var y = zeros([rows, outF]);
        fixed (byte* xp = x.bytes, yp = y.bytes, pp = q.Packed.bytes, ap = q.Absmax.bytes)
            Cortex1.Model.Nf4.DecodeKernels.MatMul(new Cortex1.Model.Nf4.Nf4Rows(pp, (float*)ap, outF), (float*)xp, rows, inF, outF, (float*)yp, wide);
        var expected = x.matmul(q.Dequantize(ScalarType.Float32));
        var err = (y - expected).abs().max().item<float>();
        Assert.True(err < 1e-3, $"max error {err}");
        Assert.True(y.abs().max().item<float>() > 0.1, "the kernel wrote its outputs");
    }
}

/// <summary>The one-pass NF4 dequantiser (prefill and training), both widths, against the format's definition.</summary>
public unsafe class Nf4DequantizerTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void EachWidthWritesLevelTimesAbsmaxInNaturalOrder(bool wide, bool bf16)
    {
        if (!Cortex1.Model.Nf4.Nf4Dequantizer.Supported) return;   // no AVX2: Dequantize uses torch ops
        if (wide && !System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) return;
        using var scope = NewDisposeScope();
        const int n = 64 * 37;
        using var q = Cortex1.Model.Nf4.Nf4Tensor.Quantize(randn([n], generator: new TorchSharp.torch.Generator(5)));
        var packed = q.Packed.data<byte>().ToArray();
        var absmax = q.Absmax.data<float>().ToArray();
        var output = empty([n], bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
        fixed (byte* pp = q.Packed.bytes, ap = q.Absmax.bytes, op = output.bytes)
            Cortex1.Model.Nf4.Nf4Dequantizer.Run(pp, (float*)ap, n, op, bf16, wide);
        var got = output.to(ScalarType.Float32).data<float>().ToArray();
        for (var e = 0; e < n; e++)
        {
            var code = e % 2 == 0 ? packed[e / 2] >> 4 : packed[e / 2] & 15;
            var expected = Cortex1.Model.Nf4.Nf4Tensor.Levels[code] * absmax[e / 64];
            Assert.Equal(expected, got[e], bf16 ? Math.Abs(expected) / 128 + 1e-6f : 0f);
        }
    }
}

/// <summary>The C# quantiser against the torch-op one: the same codes and scales, bit for bit.</summary>
public class Nf4QuantizerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheCpuPassGivesTheTorchOpCodesExactly(bool transposedBf16)
    {
        if (!Cortex1.Model.Nf4.Nf4Quantizer.Supported) return;   // the engine then uses the torch ops themselves
        using var scope = NewDisposeScope();
        var w = randn([96, 640], generator: new TorchSharp.torch.Generator(11));
        w[3] = zeros(640);                           // a block of zeros: absmax 0, every code the level nearest 0
        w[5, 7] = tensor(40f);                       // an outlier squeezes its block
        var source = transposedBf16 ? w.to(ScalarType.BFloat16).t() : w;   // what SetWeight hands over: a [in, out] view
        using var fast = Cortex1.Model.Nf4.Nf4Tensor.QuantizeOnCpu(source);
        using var reference = Cortex1.Model.Nf4.Nf4Tensor.QuantizeWithTorchOps(source);
        Assert.Equal(reference.Shape, fast.Shape);
        Assert.Equal(reference.Packed.data<byte>().ToArray(), fast.Packed.data<byte>().ToArray());
        Assert.Equal(reference.Absmax.data<float>().ToArray(), fast.Absmax.data<float>().ToArray());
    }
}
