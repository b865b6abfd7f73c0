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
