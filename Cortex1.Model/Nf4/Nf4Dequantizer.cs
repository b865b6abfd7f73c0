using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortex1.Model.Nf4;

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
