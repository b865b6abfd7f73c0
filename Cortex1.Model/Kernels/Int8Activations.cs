using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cortex1.Model.Kernels;

/// <summary>
/// Activations [T, cols] quantised as llama.cpp's Q8_0 does for its integer dot products: per block of 32, d =
/// max|x|/127 (rounded to fp16) and q = round(x·127/max), zero-padded to the weight's block count. Also per block d·Σq (the 4-bit formats
/// store unsigned codes, so their dot product is Σ u·q − offset·Σq) and, for AVX-512, each d repeated 8 times so two
/// blocks' scales load as one vector.
/// </summary>
internal sealed unsafe class Int8Activations : IDisposable
{
    public int T { get; }
    public int Blocks { get; }
    public sbyte* Q { get; private set; }       // [T, Blocks·32]
    public float* D { get; private set; }       // [T, Blocks]
    public float* Sums { get; private set; }    // [T, Blocks]: d·Σq
    public float* Wide { get; private set; }    // [T, Blocks, 8] or null

    Int8Activations(int t, int blocks, bool wide)
    {
        T = t; Blocks = blocks;
        Q = (sbyte*)NativeMemory.AlignedAlloc((nuint)((long)t * blocks * 32), 64);
        D = (float*)NativeMemory.AlignedAlloc((nuint)((long)t * blocks * 4), 64);
        Sums = (float*)NativeMemory.AlignedAlloc((nuint)((long)t * blocks * 4), 64);
        if (wide) Wide = (float*)NativeMemory.AlignedAlloc((nuint)((long)t * blocks * 32), 64);
    }

    public static Int8Activations Quantize(float* x, int t, int cols, int blocks, bool wide)
    {
        var a = new Int8Activations(t, blocks, wide);
        nint xp = (nint)x;
        if (t >= 4) Parallel.For(0, t, row => a.Row((float*)xp + (long)row * cols, row, cols));
        else for (var row = 0; row < t; row++) a.Row(x + (long)row * cols, row, cols);
        return a;
    }

    void Row(float* x, int row, int cols)
    {
        var block = stackalloc float[32];
        for (var b = 0; b < Blocks; b++)
        {
            var start = b * 32;
            var n = Math.Clamp(cols - start, 0, 32);
            for (var j = 0; j < 32; j++) block[j] = j < n ? x[start + j] : 0f;
            var v0 = Vector256.Load(block); var v1 = Vector256.Load(block + 8);
            var v2 = Vector256.Load(block + 16); var v3 = Vector256.Load(block + 24);
            var amax = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
            var m = 0f;
            for (var lane = 0; lane < 8; lane++) m = MathF.Max(m, amax.GetElement(lane));
            // As ggml's x86 quantize_row_q8_0: q = round-to-even(x·127/max), the scale kept in fp16 — so the dot
            // products are llama.cpp's own, value for value.
            var d = Fp16.One(Fp16.Bits(m / 127));
            var id = Vector256.Create(m > 0 ? 127 / m : 0);
            var q0 = Vector256.ConvertToInt32(Vector256.Round(v0 * id)); var q1 = Vector256.ConvertToInt32(Vector256.Round(v1 * id));
            var q2 = Vector256.ConvertToInt32(Vector256.Round(v2 * id)); var q3 = Vector256.ConvertToInt32(Vector256.Round(v3 * id));
            var bytes = Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3));
            var at = (long)row * Blocks + b;
            bytes.Store(Q + at * 32);
            D[at] = d;
            Sums[at] = d * Vector256.Sum(q0 + q1 + q2 + q3);
            if (Wide is not null) Vector256.Create(d).Store(Wide + at * 8);
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(Q); NativeMemory.AlignedFree(D); NativeMemory.AlignedFree(Sums);
        if (Wide is not null) NativeMemory.AlignedFree(Wide);
        Q = null; D = null; Sums = null; Wide = null;
    }
}
