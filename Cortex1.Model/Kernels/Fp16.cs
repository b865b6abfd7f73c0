using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cortex1.Model.Kernels;

/// <summary>fp16 → fp32 for the block scales, eight at a time (.NET exposes no vcvtph2ps): the 15 magnitude bits moved
/// to fp32's place and multiplied by 2^112 re-bias the exponent and turn subnormals into normals; the sign is ORed back.
/// Scales are finite, so infinities and NaNs need no care.</summary>
internal static unsafe class Fp16
{
    public static void ToSingle(ushort* src, float* dst, int count)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var mag = Vector256.Create(0x7FFF);
            var rebias = Vector256.Create(5.192297e33f);   // 2^112
            for (; i + 8 <= count; i += 8)
            {
                var h = Vector256.WidenLower(Vector128.Load(src + i).ToVector256Unsafe()).AsInt32();
                var value = (Vector256.ShiftLeft(h & mag, 13).AsSingle() * rebias).AsInt32();
                (value | Vector256.ShiftLeft(h & Vector256.Create(0x8000), 16)).AsSingle().Store(dst + i);
            }
        }
        for (; i < count; i++) dst[i] = One(src[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float One(ushort h) => (float)BitConverter.UInt16BitsToHalf(h);

    public static ushort Bits(float value) => BitConverter.HalfToUInt16Bits((Half)value);
}
