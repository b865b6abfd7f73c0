using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortex1.Model.Nf4;

/// <summary>NF4 codes: byte k of a block holds outputs 2k (high nibble) and 2k+1 (low); two 8-lane permutes + blend look up levels.</summary>
/// <remarks>Load writes row i's weights for outputs 64j..64j+63 into vals (8 vectors: the 32 even outputs, then the 32 odd)
/// and returns their block's absmax.</remarks>
internal readonly unsafe struct Nf4Rows(byte* packed, float* absmax, int outF)
{
    public byte* Packed => packed;
    public float* Absmax => absmax;

    static readonly Vector256<float> Lo = Vector256.Create(Nf4Tensor.Levels.AsSpan(0, 8));
    static readonly Vector256<float> Hi = Vector256.Create(Nf4Tensor.Levels.AsSpan(8, 8));

    public float Load(long i, int j, Vector256<float>* vals)
    {
        var codes = packed + i * outF / 2 + j * 32;
        var fifteen = Vector256.Create(15);
        for (var g = 0; g < 4; g++)
        {
            var bytes = Avx2.ConvertToVector256Int32(codes + g * 8);
            vals[g] = Lookup(Avx2.ShiftRightLogical(bytes, 4));
            vals[4 + g] = Lookup(Avx2.And(bytes, fifteen));
        }
        return absmax[i * (outF / Nf4Tensor.BlockSize) + j];
    }

    static readonly Vector512<float> Levels512 = Vector512.Create(Nf4Tensor.Levels);

    /// <summary>AVX-512 form of <see cref="Load"/>: vals[0..1] the 32 even outputs, vals[2..3] the 32 odd; one permute
    /// looks up 16 levels (AVX2 needs two permutes and a blend for 8).</summary>
    public float Load512(long i, int j, Vector512<float>* vals)
    {
        var codes = packed + i * outF / 2 + j * 32;
        var fifteen = Vector512.Create(15);
        for (var g = 0; g < 2; g++)
        {
            var bytes = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(codes + g * 16));
            vals[g] = Avx512F.PermuteVar16x32(Levels512, Avx512F.ShiftRightLogical(bytes, 4));
            vals[2 + g] = Avx512F.PermuteVar16x32(Levels512, Avx512F.And(bytes, fifteen));
        }
        return absmax[i * (outF / Nf4Tensor.BlockSize) + j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Lookup512(Vector512<int> idx) => Avx512F.PermuteVar16x32(Levels512, idx);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Lookup(Vector256<int> idx) =>
        Avx.BlendVariable(Avx2.PermuteVar8x32(Lo, idx), Avx2.PermuteVar8x32(Hi, idx), Avx2.CompareGreaterThan(idx, Vector256.Create(7)).AsSingle());
}

/// <summary>
/// y[b, o] = Σ_i x[b, i] · W[i, o] for a few rows b (decode), reading NF4 codes directly (0.56 bytes per weight) and
/// accumulating in fp32, with no dequantised copy of the layer. Threads split the output blocks. One row (the
/// common single-sequence decode) keeps its 64 accumulators in registers and walks down the input rows.
/// </summary>
internal static unsafe class DecodeKernels
{
    public const int MaxRows = 8;
    public static bool Supported => Avx2.IsSupported && Fma.IsSupported;
    /// <summary>AVX-512 kernels when the CPU has them (16 lanes, one-permute lookup); the AVX2 ones otherwise.
    /// <c>CORTEX1_NF4_AVX512=0</c> turns them off, to compare the two.</summary>
    public static bool Use512 { get; } = Avx512F.IsSupported && Environment.GetEnvironmentVariable("CORTEX1_NF4_AVX512") != "0";

    public static void MatMul(Nf4Rows w, float* x, int batch, int inF, int outF, float* y, bool? wide = null)
    {
        var use512 = wide ?? Use512;
        if (use512 && !Avx512F.IsSupported) throw new PlatformNotSupportedException("This CPU has no AVX-512.");
        var blocks = outF / 64;
        var workers = Math.Max(1, Math.Min(Environment.ProcessorCount, blocks));
        nint xp = (nint)x, yp = (nint)y;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, k =>
        {
            int j0 = blocks * k / workers, j1 = blocks * (k + 1) / workers;
            if (batch == 1 && use512) SingleRow512(w, (float*)xp, inF, outF, (float*)yp, j0, j1);
            else if (batch == 1) SingleRow(w, (float*)xp, inF, outF, (float*)yp, j0, j1);
            else if (use512) Range512(w, (float*)xp, batch, inF, outF, (float*)yp, j0, j1);
            else Range(w, (float*)xp, batch, inF, outF, (float*)yp, j0, j1);
        });
    }

    static void SingleRow(Nf4Rows w, float* x, int inF, int outF, float* y, int j0, int j1)
    {
        var acc = stackalloc float[64];
        var blocksPerRow = outF / 64;
        for (var j = j0; j < j1; j++)
        {
            Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
            var codes = w.Packed + j * 32;
            var scales = w.Absmax + j;
            for (long i = 0; i < inF; i++, codes += outF / 2, scales += blocksPerRow)
            {
                var coef = Vector256.Create(x[i] * *scales);
                Step(codes, 0, coef, ref e0, ref o0);
                Step(codes, 8, coef, ref e1, ref o1);
                Step(codes, 16, coef, ref e2, ref o2);
                Step(codes, 24, coef, ref e3, ref o3);
            }
            Avx.Store(acc, e0); Avx.Store(acc + 8, e1); Avx.Store(acc + 16, e2); Avx.Store(acc + 24, e3);
            Avx.Store(acc + 32, o0); Avx.Store(acc + 40, o1); Avx.Store(acc + 48, o2); Avx.Store(acc + 56, o3);
            Interleave(acc, y + j * 64);
        }
    }

    /// <summary><see cref="SingleRow"/> on 16 lanes: four accumulators (even and odd outputs of bytes 0–15 and 16–31).</summary>
    static void SingleRow512(Nf4Rows w, float* x, int inF, int outF, float* y, int j0, int j1)
    {
        var acc = stackalloc float[64];
        var blocksPerRow = outF / 64;
        var fifteen = Vector512.Create(15);
        for (var j = j0; j < j1; j++)
        {
            Vector512<float> e0 = default, e1 = default, o0 = default, o1 = default;
            var codes = w.Packed + j * 32;
            var scales = w.Absmax + j;
            for (long i = 0; i < inF; i++, codes += outF / 2, scales += blocksPerRow)
            {
                var coef = Vector512.Create(x[i] * *scales);
                var first = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(codes));
                var second = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(codes + 16));
                e0 = Avx512F.FusedMultiplyAdd(Nf4Rows.Lookup512(Avx512F.ShiftRightLogical(first, 4)), coef, e0);
                o0 = Avx512F.FusedMultiplyAdd(Nf4Rows.Lookup512(Avx512F.And(first, fifteen)), coef, o0);
                e1 = Avx512F.FusedMultiplyAdd(Nf4Rows.Lookup512(Avx512F.ShiftRightLogical(second, 4)), coef, e1);
                o1 = Avx512F.FusedMultiplyAdd(Nf4Rows.Lookup512(Avx512F.And(second, fifteen)), coef, o1);
            }
            Avx512F.Store(acc, e0); Avx512F.Store(acc + 16, e1); Avx512F.Store(acc + 32, o0); Avx512F.Store(acc + 48, o1);
            Interleave(acc, y + j * 64);
        }
    }

    /// <summary><see cref="Range"/> on 16 lanes.</summary>
    static void Range512(Nf4Rows w, float* x, int batch, int inF, int outF, float* y, int j0, int j1)
    {
        var nb = j1 - j0;
        if (nb <= 0) return;
        var acc = new float[batch * nb * 64];
        var vals = stackalloc Vector512<float>[4];
        fixed (float* a = acc)
        {
            for (long i = 0; i < inF; i++)
            for (var j = j0; j < j1; j++)
            {
                var s = w.Load512(i, j, vals);
                for (var b = 0; b < batch; b++)
                {
                    var coef = Vector512.Create(x[b * inF + i] * s);
                    var dst = a + ((long)b * nb + (j - j0)) * 64;
                    for (var v = 0; v < 4; v++)
                        Avx512F.Store(dst + v * 16, Avx512F.FusedMultiplyAdd(vals[v], coef, Avx512F.LoadVector512(dst + v * 16)));
                }
            }
            for (var b = 0; b < batch; b++)
            for (var j = j0; j < j1; j++)
                Interleave(a + ((long)b * nb + (j - j0)) * 64, y + (long)b * outF + j * 64);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Step(byte* codes, int offset, Vector256<float> coef, ref Vector256<float> even, ref Vector256<float> odd)
    {
        var bytes = Avx2.ConvertToVector256Int32(codes + offset);
        even = Fma.MultiplyAdd(Nf4Rows.Lookup(Avx2.ShiftRightLogical(bytes, 4)), coef, even);
        odd = Fma.MultiplyAdd(Nf4Rows.Lookup(Avx2.And(bytes, Vector256.Create(15))), coef, odd);
    }

    /// <summary>Accumulators hold 32 even outputs then 32 odd ones; write them in natural order.</summary>
    static void Interleave(float* src, float* dst)
    {
        for (var k = 0; k < 32; k++) { dst[2 * k] = src[k]; dst[2 * k + 1] = src[32 + k]; }
    }

    static void Range(Nf4Rows w, float* x, int batch, int inF, int outF, float* y, int j0, int j1)
    {
        var nb = j1 - j0;
        if (nb <= 0) return;
        var acc = new float[batch * nb * 64];
        var vals = stackalloc Vector256<float>[8];
        fixed (float* a = acc)
        {
            for (long i = 0; i < inF; i++)
            for (var j = j0; j < j1; j++)
            {
                var s = w.Load(i, j, vals);
                for (var b = 0; b < batch; b++)
                {
                    var coef = Vector256.Create(x[b * inF + i] * s);
                    var dst = a + ((long)b * nb + (j - j0)) * 64;
                    for (var v = 0; v < 8; v++)
                        Avx.Store(dst + v * 8, Fma.MultiplyAdd(vals[v], coef, Avx.LoadVector256(dst + v * 8)));
                }
            }
            for (var b = 0; b < batch; b++)
            for (var j = j0; j < j1; j++)
            {
                Interleave(a + ((long)b * nb + (j - j0)) * 64, y + (long)b * outF + j * 64);
            }
        }
    }
}

/// <summary>NF4 → fp32 or bf16 in one pass (prefill and training, where a dequantised layer feeds a real matmul).</summary>
internal static unsafe class Nf4Dequantizer
{
    public static bool Supported => Avx2.IsSupported && Sse41.IsSupported;

    /// <summary>Writes all numel values; `bf16` picks the output format (round to nearest even); `wide` the AVX-512 pass
    /// (default: <see cref="DecodeKernels.Use512"/>).</summary>
    public static void Run(byte* packed, float* absmax, long numel, void* output, bool bf16, bool? wide = null)
    {
        var blocks = numel / Nf4Tensor.BlockSize;
        var workers = (int)Math.Max(1, Math.Min(Environment.ProcessorCount, blocks));
        nint pp = (nint)packed, ap = (nint)absmax, op = (nint)output;
        if (wide ?? DecodeKernels.Use512)
        {
            if (!Avx512BW.IsSupported) throw new PlatformNotSupportedException("This CPU has no AVX-512.");
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, k =>
                Run512((byte*)pp, (float*)ap, blocks * k / workers, blocks * (k + 1) / workers, (void*)op, bf16));
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, k =>
        {
            var rows = new Nf4Rows((byte*)pp, (float*)ap, Nf4Tensor.BlockSize);   // one block per "row"
            var vals = stackalloc Vector256<float>[8];
            for (var blk = blocks * k / workers; blk < blocks * (k + 1) / workers; blk++)
            {
                var scale = Vector256.Create(rows.Load(blk, 0, vals));
                for (var g = 0; g < 4; g++)
                {
                    // vals[g] holds outputs 16g+2m (even), vals[4+g] outputs 16g+2m+1: interleave back to natural order.
                    var e = Avx.Multiply(vals[g], scale);
                    var o = Avx.Multiply(vals[4 + g], scale);
                    var lo = Avx.UnpackLow(e, o);    // per 128-bit lane: e0 o0 e1 o1 | e4 o4 e5 o5
                    var hi = Avx.UnpackHigh(e, o);   //                    e2 o2 e3 o3 | e6 o6 e7 o7
                    var first = Avx2.Permute2x128(lo.AsDouble(), hi.AsDouble(), 0x20).AsSingle();
                    var second = Avx2.Permute2x128(lo.AsDouble(), hi.AsDouble(), 0x31).AsSingle();
                    var at = blk * Nf4Tensor.BlockSize + g * 16;
                    if (bf16) { StoreBf16((ushort*)op + at, first); StoreBf16((ushort*)op + at + 8, second); }
                    else { Avx.Store((float*)op + at, first); Avx.Store((float*)op + at + 8, second); }
                }
            }
        });
    }

    // vpermt2ps patterns that interleave 16 even and 16 odd outputs back into natural order (first and second half).
    static readonly Vector512<int> FirstHalf = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    static readonly Vector512<int> SecondHalf = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>Blocks [b0, b1): per 32 code bytes, two widen+permute lookups per nibble, one scale, two interleaves.</summary>
    static void Run512(byte* packed, float* absmax, long b0, long b1, void* output, bool bf16)
    {
        var fifteen = Vector512.Create(15);
        for (var blk = b0; blk < b1; blk++)
        {
            var scale = Vector512.Create(absmax[blk]);
            var codes = packed + blk * (Nf4Tensor.BlockSize / 2);
            for (var g = 0; g < 2; g++)
            {
                var bytes = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(codes + g * 16));
                var even = Avx512F.Multiply(Nf4Rows.Lookup512(Avx512F.ShiftRightLogical(bytes, 4)), scale);
                var odd = Avx512F.Multiply(Nf4Rows.Lookup512(Avx512F.And(bytes, fifteen)), scale);
                var first = Avx512F.PermuteVar16x32x2(even, FirstHalf, odd);
                var second = Avx512F.PermuteVar16x32x2(even, SecondHalf, odd);
                var at = blk * Nf4Tensor.BlockSize + g * 32;
                if (bf16) { StoreBf16((ushort*)output + at, first); StoreBf16((ushort*)output + at + 16, second); }
                else { Avx512F.Store((float*)output + at, first); Avx512F.Store((float*)output + at + 16, second); }
            }
        }
    }

    static void StoreBf16(ushort* dst, Vector512<float> v)
    {
        var bits = v.AsUInt32();
        var round = Avx512F.Add(Avx512F.And(Avx512F.ShiftRightLogical(bits, 16), Vector512.Create(1u)), Vector512.Create(0x7FFFu));
        var top = Avx512F.ShiftRightLogical(Avx512F.Add(bits, round), 16);
        Avx.Store(dst, Avx512F.ConvertToVector256UInt16(top));
    }

    static void StoreBf16(ushort* dst, Vector256<float> v)
    {
        var bits = v.AsInt32();
        var round = Avx2.Add(Avx2.And(Avx2.ShiftRightLogical(bits, 16), Vector256.Create(1)), Vector256.Create(0x7FFF));
        var top = Avx2.ShiftRightLogical(Avx2.Add(bits, round), 16);
        Sse2.Store(dst, Sse41.PackUnsignedSaturate(top.GetLower(), top.GetUpper()));
    }
}

/// <summary>
/// fp32 → NF4 in one pass per block of 64: absmax, then each value's code is the number of level midpoints below
/// value / absmax (what torch.bucketize returns), two codes per byte. Same arithmetic as the torch-op path (fp32
/// division, the same midpoints), so the codes are identical.
/// </summary>
internal static unsafe class Nf4Quantizer
{
    public static bool Supported => Vector256.IsHardwareAccelerated;

    static readonly Vector256<float>[] Mids = Enumerable.Range(0, 15)
        .Select(i => Vector256.Create((Nf4Tensor.Levels[i] + Nf4Tensor.Levels[i + 1]) / 2f)).ToArray();

    public static void Run(float* x, long blocks, byte* packed, float* absmax)
    {
        var workers = (int)Math.Max(1, Math.Min(Environment.ProcessorCount, blocks));
        nint xp = (nint)x, pp = (nint)packed, ap = (nint)absmax;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, k =>
        {
            var codes = stackalloc int[Nf4Tensor.BlockSize];
            for (var blk = blocks * k / workers; blk < blocks * (k + 1) / workers; blk++)
                Block((float*)xp + blk * Nf4Tensor.BlockSize, codes, (byte*)pp + blk * (Nf4Tensor.BlockSize / 2), (float*)ap + blk);
        });
    }

    static void Block(float* x, int* codes, byte* packed, float* absmax)
    {
        var max = Vector256<float>.Zero;
        for (var i = 0; i < Nf4Tensor.BlockSize; i += 8) max = Vector256.Max(max, Vector256.Abs(Vector256.Load(x + i)));
        var m = 0f;
        for (var lane = 0; lane < 8; lane++) m = MathF.Max(m, max.GetElement(lane));
        *absmax = m;
        var divisor = Vector256.Create(MathF.Max(m, 1e-12f));
        for (var i = 0; i < Nf4Tensor.BlockSize; i += 8)
        {
            var v = Vector256.Load(x + i) / divisor;
            var count = Vector256<int>.Zero;
            foreach (var mid in Mids) count -= Vector256.LessThan(mid, v).AsInt32();   // true is -1
            count.Store(codes + i);
        }
        for (var k = 0; k < Nf4Tensor.BlockSize / 2; k++) packed[k] = (byte)((codes[2 * k] << 4) | codes[2 * k + 1]);
    }
}
