using System.Buffers.Binary;

namespace Cortex1.Model.Export;

/// <summary>
/// ggml's block formats, as its reference quantisers (ggml-quants.c) define them. Blocks run along a row (GGUF's
/// innermost dimension, a PyTorch [out, in] tensor's `in`), 32 values each:
/// Q8_0 = fp16 scale d = max|x|/127, then 32 int8 round(x/d) (34 bytes);
/// Q4_0 = fp16 scale d = m/−8 where m is the value of largest magnitude (sign kept), then 16 bytes holding
/// q = min(15, trunc(x/d + 8.5)): byte j has value j in its low nibble and value j+16 in its high one (18 bytes).
/// </summary>
public static class GgufQuant
{
    public const int BlockSize = 32;

    public static long ByteSize(GgufType type, long count) => type switch
    {
        GgufType.F32 => count * 4,
        GgufType.F16 => count * 2,
        GgufType.Q8_0 => count / BlockSize * 34,
        GgufType.Q4_0 => count / BlockSize * 18,
        _ => throw new NotSupportedException($"GGUF type {type}."),
    };

    public static byte[] Encode(GgufType type, ReadOnlySpan<float> x)
    {
        var output = new byte[ByteSize(type, x.Length)];
        switch (type)
        {
            case GgufType.F32:
                for (var i = 0; i < x.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(output.AsSpan(i * 4), x[i]);
                break;
            case GgufType.F16:
                for (var i = 0; i < x.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(output.AsSpan(i * 2), (Half)x[i]);
                break;
            case GgufType.Q8_0:
                CheckBlocks(x.Length);
                for (var b = 0; b < x.Length / BlockSize; b++) Q8Block(x.Slice(b * BlockSize, BlockSize), output.AsSpan(b * 34, 34));
                break;
            case GgufType.Q4_0:
                CheckBlocks(x.Length);
                for (var b = 0; b < x.Length / BlockSize; b++) Q4Block(x.Slice(b * BlockSize, BlockSize), output.AsSpan(b * 18, 18));
                break;
            default: throw new NotSupportedException($"GGUF type {type}.");
        }
        return output;
    }

    /// <summary>The values a reader gets back from <see cref="Encode"/>'s bytes (the scale read back as fp16, as ggml does).</summary>
    public static float[] Decode(GgufType type, ReadOnlySpan<byte> data, int count)
    {
        var y = new float[count];
        switch (type)
        {
            case GgufType.F32:
                for (var i = 0; i < count; i++) y[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
                break;
            case GgufType.F16:
                for (var i = 0; i < count; i++) y[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]);
                break;
            case GgufType.Q8_0:
                for (var b = 0; b < count / BlockSize; b++)
                {
                    var block = data.Slice(b * 34, 34);
                    var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
                    for (var j = 0; j < BlockSize; j++) y[b * BlockSize + j] = (sbyte)block[2 + j] * d;
                }
                break;
            case GgufType.Q4_0:
                for (var b = 0; b < count / BlockSize; b++)
                {
                    var block = data.Slice(b * 18, 18);
                    var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
                    for (var j = 0; j < BlockSize / 2; j++)
                    {
                        y[b * BlockSize + j] = ((block[2 + j] & 0x0F) - 8) * d;
                        y[b * BlockSize + j + 16] = ((block[2 + j] >> 4) - 8) * d;
                    }
                }
                break;
            default: throw new NotSupportedException($"GGUF type {type}.");
        }
        return y;
    }

    static void CheckBlocks(int n)
    {
        if (n % BlockSize != 0) throw new ArgumentException($"{n} values do not fill whole {BlockSize}-value blocks.");
    }

    static void Q8Block(ReadOnlySpan<float> x, Span<byte> o)
    {
        var amax = 0f;
        foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
        var d = amax / 127;
        var id = d != 0 ? 1 / d : 0;
        BinaryPrimitives.WriteHalfLittleEndian(o, (Half)d);
        for (var j = 0; j < BlockSize; j++) o[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    static void Q4Block(ReadOnlySpan<float> x, Span<byte> o)
    {
        float amax = 0, max = 0;
        foreach (var v in x)
            if (MathF.Abs(v) > amax) { amax = MathF.Abs(v); max = v; }
        var d = max / -8;
        var id = d != 0 ? 1 / d : 0;
        BinaryPrimitives.WriteHalfLittleEndian(o, (Half)d);
        for (var j = 0; j < BlockSize / 2; j++)
        {
            var q0 = Math.Min(15, (int)(x[j] * id + 8.5f));
            var q1 = Math.Min(15, (int)(x[j + 16] * id + 8.5f));
            o[2 + j] = (byte)(q0 | (q1 << 4));
        }
    }
}
