using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortex1.Model.Nf4;

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
