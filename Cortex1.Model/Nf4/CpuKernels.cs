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

    public static void MatMul(Nf4Rows w, float* x, int batch, int inF, int outF, float* y)
    {
        var blocks = outF / 64;
        var workers = Math.Max(1, Math.Min(Environment.ProcessorCount, blocks));
        nint xp = (nint)x, yp = (nint)y;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, k =>
        {
            if (batch == 1) SingleRow(w, (float*)xp, inF, outF, (float*)yp, blocks * k / workers, blocks * (k + 1) / workers);
            else Range(w, (float*)xp, batch, inF, outF, (float*)yp, blocks * k / workers, blocks * (k + 1) / workers);
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

    /// <summary>Writes all numel values; `bf16` picks the output format (round to nearest even).</summary>
    public static void Run(byte* packed, float* absmax, long numel, void* output, bool bf16)
    {
        var blocks = numel / Nf4Tensor.BlockSize;
        var workers = (int)Math.Max(1, Math.Min(Environment.ProcessorCount, blocks));
        nint pp = (nint)packed, ap = (nint)absmax, op = (nint)output;
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

    static void StoreBf16(ushort* dst, Vector256<float> v)
    {
        var bits = v.AsInt32();
        var round = Avx2.Add(Avx2.And(Avx2.ShiftRightLogical(bits, 16), Vector256.Create(1)), Vector256.Create(0x7FFF));
        var top = Avx2.ShiftRightLogical(Avx2.Add(bits, round), 16);
        Sse2.Store(dst, Sse41.PackUnsignedSaturate(top.GetLower(), top.GetUpper()));
    }
}
