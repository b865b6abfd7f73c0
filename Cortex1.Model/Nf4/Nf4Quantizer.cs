using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortex1.Model.Nf4;

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
