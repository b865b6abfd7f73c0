using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortex1.Model.Kernels;

/// <summary>
/// y[t, r] = Σ_b d_w[r,b]·d_x[t,b]·Σ_j w[r,b,j]·q[t,b,j]: block-quantised weights [rows, cols] times int8 activations
/// [T, cols], the integer dot products as llama.cpp's Q4_0×Q8_0 (vpmaddubsw of unsigned weights by signed
/// activations, vpmaddwd to int32; or vpdpbusd), one fp32 multiply-add per block. Weights are read in place; threads
/// split the output rows; each row meets up to four activation rows per pass (decode is T = 1, batched decode and
/// prefill T > 1), so its unpacked blocks are reused from registers. The scalar path is the same arithmetic.
/// </summary>
public static unsafe class BlockKernels
{
    /// <summary>Threads the kernels split rows over (the bench's --threads sets it).</summary>
    public static int Threads { get; set; } = Environment.ProcessorCount;

    const long MinBlocksPerWorker = 8192;

    /// <summary>x [T, w.Cols] fp32 → y [T, w.Rows] fp32 (every element written).</summary>
    public static void MatMul(BlockMatrix w, float* x, int t, float* y, KernelPath path)
    {
        if (!KernelPaths.IsSupported(path, CpuFeatures.Current))
            throw new PlatformNotSupportedException($"Kernel path {path} needs an instruction set this processor lacks ({CpuFeatures.Current.Describe()}).");
        using var a = Int8Activations.Quantize(x, t, w.Cols, w.Blocks, path == KernelPath.Avx512);
        // A worker per ~8K block dot products: below that, waking a thread costs more than it saves (decode's small
        // k/v projections run on the calling thread).
        var workers = (int)Math.Clamp((long)w.Rows * w.Blocks * t / MinBlocksPerWorker, 1, Math.Max(1, Math.Min(Threads, w.Rows / 8)));
        nint yp = (nint)y;
        if (workers == 1) { Run(path, w, a, y, 0, w.Rows); return; }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, k =>
            Run(path, w, a, (float*)yp, (int)((long)w.Rows * k / workers), (int)((long)w.Rows * (k + 1) / workers)));
    }

    static void Run(KernelPath path, BlockMatrix w, Int8Activations a, float* y, int r0, int r1)
    {
        var four = BlockFormats.IsFourBit(w.Format);
        switch (path)
        {
            case KernelPath.Scalar: Scalar(w, a, y, r0, r1); break;
            case KernelPath.Avx2 when w.Format == BlockFormat.Q4_0: Rows256(new Q4Codes256(), w, a, y, r0, r1, vnni: false); break;
            case KernelPath.Avx2 when four: Rows256(new FourBit256(w.Format), w, a, y, r0, r1, vnni: false); break;
            case KernelPath.Avx2: Rows256(new EightBit256(), w, a, y, r0, r1, vnni: false); break;
            case KernelPath.Avx2Vnni when w.Format == BlockFormat.Q4_0: Rows256(new Q4Codes256(), w, a, y, r0, r1, vnni: true); break;
            case KernelPath.Avx2Vnni when four: Rows256(new FourBit256(w.Format), w, a, y, r0, r1, vnni: true); break;
            case KernelPath.Avx2Vnni: Rows256(new EightBit256(), w, a, y, r0, r1, vnni: true); break;
            case KernelPath.Avx512 when four: Rows512(new FourBit512(w.Format), w, a, y, r0, r1); break;
            case KernelPath.Avx512: Rows512(new EightBit512(), w, a, y, r0, r1); break;
            default: throw new ArgumentOutOfRangeException(nameof(path));
        }
    }

    static void Scalar(BlockMatrix w, Int8Activations a, float* y, int r0, int r1)
    {
        var table = BlockFormats.IsFourBit(w.Format) ? BlockFormats.Table(w.Format) : null;
        var offset = BlockFormats.Offset(w.Format);
        var values = stackalloc int[32];
        var sums = new float[a.T];
        for (var r = r0; r < r1; r++)
        {
            var q = w.RowQuants(r);
            var s = w.RowScales(r);
            Array.Clear(sums);
            for (var b = 0; b < w.Blocks; b++)
            {
                for (var j = 0; j < 32; j++)
                    values[j] = table is null ? (sbyte)q[b * 32 + j] : table[j < 16 ? q[b * 16 + j] & 15 : q[b * 16 + j - 16] >> 4] - offset;
                var dw = Fp16.One(s[b]);
                for (var t = 0; t < a.T; t++)
                {
                    var x = a.Q + ((long)t * w.Blocks + b) * 32;
                    var dot = 0;
                    for (var j = 0; j < 32; j++) dot += values[j] * x[j];
                    sums[t] += dw * a.D[(long)t * w.Blocks + b] * dot;
                }
            }
            for (var t = 0; t < a.T; t++) y[(long)t * w.Rows + r] = sums[t];
        }
    }

    /// <summary>How a weight block becomes the unsigned bytes vpmaddubsw takes, and what that does to the activations.</summary>
    interface IBlocks256
    {
        Vector256<byte> Load(byte* rowQuants, int block);
        Vector256<sbyte> Signed(Vector256<sbyte> x);
        int Offset { get; }
    }

    /// <summary>4-bit codes → their table bytes (one vpshufb); activations pass unchanged, the offset is taken off after.</summary>
    struct FourBit256(BlockFormat format) : IBlocks256
    {
        readonly Vector256<byte> _table = Vector256.Create(Vector128.Create(BlockFormats.Table(format)));
        public int Offset { get; } = BlockFormats.Offset(format);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<byte> Load(byte* rowQuants, int block) => Avx2.Shuffle(_table, default(Q4Codes256).Load(rowQuants, block));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<sbyte> Signed(Vector256<sbyte> x) => x;
    }

    /// <summary>Q4_0: the codes are the unsigned values themselves (its table is the identity), so no vpshufb.</summary>
    struct Q4Codes256 : IBlocks256
    {
        public readonly int Offset => 8;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<byte> Load(byte* rowQuants, int block)
        {
            var packed = Sse2.LoadVector128(rowQuants + block * 16);
            var low = Vector128.Create((byte)15);
            return Vector256.Create(packed & low, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<sbyte> Signed(Vector256<sbyte> x) => x;
    }

    /// <summary>int8 weights: |w| as the unsigned side, w's sign moved onto the activations (vpsignb), as ggml does.</summary>
    struct EightBit256 : IBlocks256
    {
        Vector256<sbyte> _w;
        public readonly int Offset => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<byte> Load(byte* rowQuants, int block)
        {
            _w = Avx.LoadVector256((sbyte*)rowQuants + block * 32);
            return Avx2.Abs(_w);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<sbyte> Signed(Vector256<sbyte> x) => Avx2.Sign(x, _w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Dot(Vector256<byte> u, Vector256<sbyte> x, bool vnni) =>
        Avx.ConvertToVector256Single(vnni
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, x)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, x), Vector256.Create((short)1)));

    static void Rows256<TBlocks>(TBlocks blocks, BlockMatrix w, Int8Activations a, float* y, int r0, int r1, bool vnni)
        where TBlocks : struct, IBlocks256
    {
        int nb = w.Blocks, T = a.T;
        var ws = stackalloc float[nb];
        float offset = blocks.Offset;
        for (var r = r0; r < r1; r++)
        {
            Fp16.ToSingle(w.RowScales(r), ws, nb);
            var q = w.RowQuants(r);
            var t = 0;
            for (; t + 4 <= T; t += 4)
            {
                Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
                var x = (sbyte*)a.Q + (long)t * nb * 32;
                var d = a.D + (long)t * nb;
                long xs = nb * 32;
                for (var b = 0; b < nb; b++)
                {
                    var u = blocks.Load(q, b);
                    var s = ws[b];
                    c0 = Fma.MultiplyAdd(Dot(u, blocks.Signed(Avx.LoadVector256(x + b * 32)), vnni), Vector256.Create(s * d[b]), c0);
                    c1 = Fma.MultiplyAdd(Dot(u, blocks.Signed(Avx.LoadVector256(x + xs + b * 32)), vnni), Vector256.Create(s * d[nb + b]), c1);
                    c2 = Fma.MultiplyAdd(Dot(u, blocks.Signed(Avx.LoadVector256(x + 2 * xs + b * 32)), vnni), Vector256.Create(s * d[2 * nb + b]), c2);
                    c3 = Fma.MultiplyAdd(Dot(u, blocks.Signed(Avx.LoadVector256(x + 3 * xs + b * 32)), vnni), Vector256.Create(s * d[3 * nb + b]), c3);
                }
                Store(y, w, a, ws, r, t, Vector256.Sum(c0), offset);
                Store(y, w, a, ws, r, t + 1, Vector256.Sum(c1), offset);
                Store(y, w, a, ws, r, t + 2, Vector256.Sum(c2), offset);
                Store(y, w, a, ws, r, t + 3, Vector256.Sum(c3), offset);
            }
            for (; t < T; t++)
            {
                // One activation row: two accumulators so consecutive blocks' multiply-adds do not wait on each other.
                Vector256<float> even = default, odd = default;
                var x = (sbyte*)a.Q + (long)t * nb * 32;
                var d = a.D + (long)t * nb;
                for (var b = 0; b < nb; b += 2)
                {
                    var u0 = blocks.Load(q, b);
                    even = Fma.MultiplyAdd(Dot(u0, blocks.Signed(Avx.LoadVector256(x + b * 32)), vnni), Vector256.Create(ws[b] * d[b]), even);
                    var u1 = blocks.Load(q, b + 1);
                    odd = Fma.MultiplyAdd(Dot(u1, blocks.Signed(Avx.LoadVector256(x + b * 32 + 32)), vnni), Vector256.Create(ws[b + 1] * d[b + 1]), odd);
                }
                Store(y, w, a, ws, r, t, Vector256.Sum(even + odd), offset);
            }
        }
    }

    /// <summary>Writes y[t, r], taking off offset·Σ_b d_w·d_x·Σq for the 4-bit formats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* y, BlockMatrix w, Int8Activations a, float* ws, int r, int t, float sum, float offset)
    {
        if (offset != 0)
        {
            var sums = a.Sums + (long)t * w.Blocks;
            var acc = Vector256<float>.Zero;
            var b = 0;
            for (; b + 8 <= w.Blocks; b += 8) acc += Vector256.Load(ws + b) * Vector256.Load(sums + b);
            var c = Vector256.Sum(acc);
            for (; b < w.Blocks; b++) c += ws[b] * sums[b];
            sum -= offset * c;
        }
        y[(long)t * w.Rows + r] = sum;
    }

    interface IBlocks512
    {
        /// <summary>Blocks 2p and 2p+1 as 64 unsigned bytes.</summary>
        Vector512<byte> Load(byte* rowQuants, int pair);
        Vector512<sbyte> Signed(Vector512<sbyte> x);
        int Offset { get; }
    }

    struct FourBit512(BlockFormat format) : IBlocks512
    {
        readonly Vector512<byte> _table = Vector512.Create(Vector256.Create(Vector128.Create(BlockFormats.Table(format))));
        static readonly Vector512<ulong> Order = Vector512.Create(0ul, 1, 4, 5, 2, 3, 6, 7);
        public int Offset { get; } = BlockFormats.Offset(format);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector512<byte> Load(byte* rowQuants, int pair)
        {
            var packed = Avx.LoadVector256(rowQuants + pair * 32);
            var low = Vector256.Create((byte)15);
            // [low nibbles of both blocks | high nibbles of both] → [block 2p: low, high | block 2p+1: low, high].
            var both = Vector512.Create(packed & low, Avx2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low);
            var codes = Avx512F.PermuteVar8x64(both.AsUInt64(), Order).AsByte();
            return Avx512BW.Shuffle(_table, codes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector512<sbyte> Signed(Vector512<sbyte> x) => x;
    }

    struct EightBit512 : IBlocks512
    {
        Vector512<sbyte> _w;
        public readonly int Offset => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<byte> Load(byte* rowQuants, int pair)
        {
            _w = Vector512.Load((sbyte*)rowQuants + pair * 64);
            return Avx512BW.Abs(_w);
        }

        /// <summary>AVX-512 has no vpsignb: negate where w is negative (where w is 0 the product is 0 either way).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector512<sbyte> Signed(Vector512<sbyte> x) => Vector512.ConditionalSelect(Vector512.LessThan(_w, Vector512<sbyte>.Zero), -x, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Dot512(Vector512<byte> u, Vector512<sbyte> x) =>
        Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u, x), Vector512.Create((short)1)));

    static void Rows512<TBlocks>(TBlocks blocks, BlockMatrix w, Int8Activations a, float* y, int r0, int r1)
        where TBlocks : struct, IBlocks512
    {
        int nb = w.Blocks, pairs = nb / 2, T = a.T;
        var ws = stackalloc float[nb];
        var wide = stackalloc float[nb * 8];   // each block's scale ×8: two blocks' scales are one vector
        float offset = blocks.Offset;
        for (var r = r0; r < r1; r++)
        {
            Fp16.ToSingle(w.RowScales(r), ws, nb);
            for (var b = 0; b < nb; b++) Vector256.Create(ws[b]).Store(wide + b * 8);
            var q = w.RowQuants(r);
            var t = 0;
            for (; t + 4 <= T; t += 4)
            {
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
                var x = (sbyte*)a.Q + (long)t * nb * 32;
                var d = a.Wide + (long)t * nb * 8;
                long xs = nb * 32, ds = nb * 8;
                for (var p = 0; p < pairs; p++)
                {
                    var u = blocks.Load(q, p);
                    var s = Vector512.Load(wide + p * 16);
                    c0 = Avx512F.FusedMultiplyAdd(Dot512(u, blocks.Signed(Vector512.Load(x + p * 64))), s * Vector512.Load(d + p * 16), c0);
                    c1 = Avx512F.FusedMultiplyAdd(Dot512(u, blocks.Signed(Vector512.Load(x + xs + p * 64))), s * Vector512.Load(d + ds + p * 16), c1);
                    c2 = Avx512F.FusedMultiplyAdd(Dot512(u, blocks.Signed(Vector512.Load(x + 2 * xs + p * 64))), s * Vector512.Load(d + 2 * ds + p * 16), c2);
                    c3 = Avx512F.FusedMultiplyAdd(Dot512(u, blocks.Signed(Vector512.Load(x + 3 * xs + p * 64))), s * Vector512.Load(d + 3 * ds + p * 16), c3);
                }
                Store(y, w, a, ws, r, t, Vector512.Sum(c0), offset);
                Store(y, w, a, ws, r, t + 1, Vector512.Sum(c1), offset);
                Store(y, w, a, ws, r, t + 2, Vector512.Sum(c2), offset);
                Store(y, w, a, ws, r, t + 3, Vector512.Sum(c3), offset);
            }
            for (; t < T; t++)
            {
                Vector512<float> acc = default;
                var x = (sbyte*)a.Q + (long)t * nb * 32;
                var d = a.Wide + (long)t * nb * 8;
                for (var p = 0; p < pairs; p++)
                {
                    var u = blocks.Load(q, p);
                    acc = Avx512F.FusedMultiplyAdd(Dot512(u, blocks.Signed(Vector512.Load(x + p * 64))), Vector512.Load(wide + p * 16) * Vector512.Load(d + p * 16), acc);
                }
                Store(y, w, a, ws, r, t, Vector512.Sum(acc), offset);
            }
        }
    }
}
