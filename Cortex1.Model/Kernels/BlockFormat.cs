using Cortex1.Model.Nf4;

namespace Cortex1.Model.Kernels;

/// <summary>
/// Block-quantised weight formats: 32 values along a row (a PyTorch [out, in] weight's `in`), one fp16 scale each.
/// Q4_0 and Q8_0 are ggml's (the same values a GGUF file holds); Nf4_0 puts NF4's 16 normal-quantile levels on 7-bit
/// integers (level·63, so the int8 dot products below never saturate) scaled by absmax/63 — llama.cpp's IQ4_NL idea
/// with QLoRA's levels.
/// </summary>
public enum BlockFormat { Q4_0, Q8_0, Nf4_0 }

internal static class BlockFormats
{
    public const int BlockSize = 32;

    public static int QuantBytes(BlockFormat f) => f == BlockFormat.Q8_0 ? 32 : 16;

    public static bool IsFourBit(BlockFormat f) => f != BlockFormat.Q8_0;

    /// <summary>4-bit formats: code c stands for (Table[c] − Offset)·d, Table[c] unsigned so vpmaddubsw takes it as is.</summary>
    public static byte[] Table(BlockFormat f) => f switch
    {
        BlockFormat.Q4_0 => [.. Enumerable.Range(0, 16).Select(c => (byte)c)],
        BlockFormat.Nf4_0 => Nf4Table,
        _ => throw new ArgumentOutOfRangeException(nameof(f), "Q8_0 has no code table."),
    };

    public static int Offset(BlockFormat f) => f switch { BlockFormat.Q4_0 => 8, BlockFormat.Nf4_0 => Nf4Offset, _ => 0 };

    public const int Nf4Offset = 64;
    static readonly byte[] Nf4Table = [.. Nf4Tensor.Levels.Select(l => (byte)(Nf4Offset + (int)MathF.Round(l * 63)))];

    public static string Name(BlockFormat f) => f.ToString().ToLowerInvariant();
}
