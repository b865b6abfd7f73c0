using Cortex1.Model.Export;
using Cortex1.Model.Kernels;

namespace Cortex1.Model.Tests;

/// <summary>
/// Every kernel path (forced, so each runs wherever the processor has it) against the dequantised reference on odd
/// sizes (rows and columns that are not multiples of the 32-value block, activation counts that are not multiples of
/// the 4-row tile). The reference is the weight dequantised by <see cref="BlockMatrix.DequantizeRow"/> times the fp32
/// activations in double; the only other rounding the kernels do is the activations' int8 quantisation: q within
/// half a step of x/step (step = max|x|/127 of its block), read back with the step in fp16 (relative error ≤ 2⁻¹¹ on
/// |q| ≤ 127), so per element |q·step₁₆ − x| ≤ step·(1/2 + 127·2⁻¹¹) and Σ_i |w_i|·that bounds |y − ref|.
/// The SIMD paths must also agree with the scalar path to float rounding (same integer sums, other summation order).
/// </summary>
public unsafe class BlockKernelTests
{
    public static TheoryData<KernelPath, BlockFormat> Cases()
    {
        var data = new TheoryData<KernelPath, BlockFormat>();
        foreach (var path in Enum.GetValues<KernelPath>())
        foreach (var format in Enum.GetValues<BlockFormat>())
            data.Add(path, format);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void EachPathMatchesTheDequantisedReference(KernelPath path, BlockFormat format)
    {
        if (!KernelPaths.IsSupported(path, CpuFeatures.Current))
        {
            using var w = Random(format, 9, 40, seed: 1, out _);
            var x = new float[40];
            var y = new float[9];
            fixed (float* xp = x, yp = y)
            {
                var (px, py) = ((nint)xp, (nint)yp);
                Assert.Throws<PlatformNotSupportedException>(() => BlockKernels.MatMul(w, (float*)px, 1, (float*)py, path));
            }
            Skip.If(true, $"{path} needs an instruction set this processor lacks ({CpuFeatures.Current.Describe()}); its refusal was checked instead.");
        }
        foreach (var (rows, cols, t) in new[] { (37, 83, 1), (45, 161, 5), (29, 100, 7), (3, 31, 2), (130, 257, 4) })
        {
            using var w = Random(format, rows, cols, seed: rows * 1000 + cols, out var dequantised);
            var rng = new Random(rows + cols + t);
            var x = Enumerable.Range(0, t * cols).Select(i => (float)(rng.NextDouble() * 4 - 2) * (i % 17 == 0 ? 5 : 1)).ToArray();
            var got = Run(w, x, t, path);
            var scalar = Run(w, x, t, KernelPath.Scalar);
            for (var ti = 0; ti < t; ti++)
            for (var r = 0; r < rows; r++)
            {
                double reference = 0, bound = 0, magnitude = 0;
                for (var i = 0; i < cols; i++)
                {
                    var wi = dequantised[r * cols + i];
                    reference += (double)wi * x[ti * cols + i];
                    magnitude += Math.Abs((double)wi * x[ti * cols + i]);
                    bound += Math.Abs(wi) * Step(x, ti * cols, cols, i) * (0.5 + 127.0 / 2048);
                }
                var y = got[ti * rows + r];
                Assert.False(float.IsNaN(y), $"{path}/{format} [{rows}x{cols}] t={ti} r={r}: output not written");
                Assert.True(Math.Abs(y - reference) <= bound + 1e-5 * magnitude + 1e-6,
                    $"{path}/{format} [{rows}x{cols}] t={ti} r={r}: {y} vs reference {reference}, bound {bound}");
                Assert.True(Math.Abs(y - scalar[ti * rows + r]) <= 1e-5 * magnitude + 1e-6,
                    $"{path}/{format} [{rows}x{cols}] t={ti} r={r}: {y} vs scalar {scalar[ti * rows + r]}");
            }
        }
    }

    /// <summary>Activation i's int8 step: its 32-block's max|x| / 127.</summary>
    static double Step(float[] x, int rowStart, int cols, int i)
    {
        var b0 = i / 32 * 32;
        var amax = 0f;
        for (var j = b0; j < Math.Min(cols, b0 + 32); j++) amax = MathF.Max(amax, MathF.Abs(x[rowStart + j]));
        return amax / 127.0;
    }

    static float[] Run(BlockMatrix w, float[] x, int t, KernelPath path)
    {
        var y = Enumerable.Repeat(float.NaN, t * w.Rows).ToArray();
        fixed (float* xp = x, yp = y) BlockKernels.MatMul(w, xp, t, yp, path);
        return y;
    }

    static BlockMatrix Random(BlockFormat format, int rows, int cols, int seed, out float[] dequantised)
    {
        var rng = new Random(seed);
        var values = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var w = new BlockMatrix(format, rows, cols);
        fixed (float* v = values) w.SetRows(0, rows, v);
        dequantised = new float[rows * cols];
        fixed (float* d = dequantised)
            for (var r = 0; r < rows; r++) w.DequantizeRow(r, d + r * cols);
        return w;
    }

    /// <summary>Q4_0 and Q8_0 rows hold exactly what ggml's reference quantiser (the GGUF export's) gives back.</summary>
    [Theory]
    [InlineData(BlockFormat.Q4_0, 64)]
    [InlineData(BlockFormat.Q8_0, 64)]
    [InlineData(BlockFormat.Q4_0, 70)]
    [InlineData(BlockFormat.Q8_0, 45)]
    public void LinearFormatsHoldGgmlsValues(BlockFormat format, int cols)
    {
        var rng = new Random(cols);
        var row = Enumerable.Range(0, cols).Select(_ => (float)(rng.NextGaussian() * 0.02)).ToArray();
        using var w = new BlockMatrix(format, 1, cols);
        fixed (float* p = row) w.SetRows(0, 1, p);
        var got = new float[cols];
        fixed (float* g = got) w.DequantizeRow(0, g);
        var padded = new float[(cols + 31) / 32 * 32];
        row.CopyTo(padded, 0);
        var type = format == BlockFormat.Q4_0 ? GgufType.Q4_0 : GgufType.Q8_0;
        var expected = GgufQuant.Decode(type, GgufQuant.Encode(type, padded), padded.Length);
        Assert.Equal(expected.Take(cols), got);
    }

    /// <summary>Nf4_0: scale fp16(absmax/63), each value the nearest of the 16 integer levels times it.</summary>
    [Fact]
    public void Nf4BlocksPickTheNearestLevel()
    {
        var rng = new Random(5);
        const int cols = 77;
        var row = Enumerable.Range(0, cols).Select(_ => (float)rng.NextGaussian()).ToArray();
        using var w = new BlockMatrix(BlockFormat.Nf4_0, 1, cols);
        fixed (float* p = row) w.SetRows(0, 1, p);
        var got = new float[cols];
        fixed (float* g = got) w.DequantizeRow(0, g);
        var levels = Cortex1.Model.Nf4.Nf4Tensor.Levels.Select(l => (int)MathF.Round(l * 63)).ToArray();
        for (var b = 0; b * 32 < cols; b++)
        {
            var block = row.Skip(b * 32).Take(32).ToArray();
            var d = (float)(Half)(block.Max(MathF.Abs) / 63);
            for (var j = 0; j < block.Length; j++)
            {
                var best = levels.Select(l => l * d).MinBy(v => MathF.Abs(v - block[j]));
                Assert.True(MathF.Abs(got[b * 32 + j] - block[j]) <= MathF.Abs(best - block[j]) + 1e-6f, $"value {b * 32 + j}: {got[b * 32 + j]} for {block[j]}, nearest {best}");
            }
        }
    }

    [Fact]
    public void ScalesConvertFromFp16LikeHalf()
    {
        var bits = Enumerable.Range(0, 0x10000).Select(i => (ushort)i).Where(h => (h & 0x7C00) != 0x7C00).ToArray();   // finite only
        var got = new float[bits.Length];
        fixed (ushort* s = bits) fixed (float* d = got) Fp16.ToSingle(s, d, bits.Length);
        for (var i = 0; i < bits.Length; i++) Assert.Equal((float)BitConverter.UInt16BitsToHalf(bits[i]), got[i]);
    }

    [Fact]
    public void KernelPathIsChosenByFeaturesAndForceable()
    {
        var avx2Only = new CpuFeatures(Avx2: true, AvxVnni: false, Avx512: false, NativeBf16: false, "");
        var everything = new CpuFeatures(Avx2: true, AvxVnni: true, Avx512: true, NativeBf16: true, "amx_bf16");
        var nothing = new CpuFeatures(false, false, false, false, "");
        Assert.Equal(KernelPath.Avx2, KernelPaths.Resolve(null, avx2Only));
        Assert.Equal(KernelPath.Avx512, KernelPaths.Resolve("", everything));
        Assert.Equal(KernelPath.Avx2Vnni, KernelPaths.Resolve(null, everything with { Avx512 = false }));
        Assert.Equal(KernelPath.Scalar, KernelPaths.Resolve(null, nothing));
        Assert.Equal(KernelPath.Scalar, KernelPaths.Resolve("scalar", everything));
        Assert.Equal(KernelPath.Avx2, KernelPaths.Resolve(" AVX2 ", everything));
        Assert.Throws<PlatformNotSupportedException>(() => KernelPaths.Resolve("avx512", avx2Only));
        Assert.Throws<FormatException>(() => KernelPaths.Resolve("sse9", everything));
    }
}

static class RandomExtensions
{
    public static double NextGaussian(this Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
