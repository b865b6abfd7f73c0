namespace Cortex1.Model.Loading;

/// <summary>How a model's projection weights are stored once loaded.</summary>
public enum Quantization
{
    /// <summary>Dense, in the compute dtype.</summary>
    None,

    /// <summary>QLoRA's 4-bit NormalFloat (<see cref="Nf4.Nf4Tensor"/>), dequantised at matmul.</summary>
    Nf4,

    /// <summary>ggml's Q4_0 blocks (<see cref="Kernels.BlockFormat.Q4_0"/>), embedding and lm_head too, multiplied by
    /// int8-quantised activations in the CPU kernels (<see cref="Kernels.BlockKernels"/>): the serving format.</summary>
    Q4_0,

    /// <summary>ggml's Q8_0 blocks, through the same kernels.</summary>
    Q8_0,

    /// <summary>NF4 levels on int8 in blocks of 32 (<see cref="Kernels.BlockFormat.Nf4_0"/>), through the same kernels.</summary>
    Nf4_0,
}

/// <summary>
/// The names configuration, command lines and API requests use for a <see cref="Quantization"/> ("none", "nf4"):
/// the one mapping every service and bench parses with, so they accept the same spellings.
/// </summary>
public static class QuantizationName
{
    public const string None = "none";
    public const string Nf4 = "nf4";
    public const string Q4_0 = "q4_0";
    public const string Q8_0 = "q8_0";
    public const string Nf4_0 = "nf4_0";

    /// <summary>Every accepted name, for error messages and help text.</summary>
    public static IReadOnlyList<string> All { get; } = [None, Nf4, Q4_0, Q8_0, Nf4_0];

    /// <summary>What LoRA trains over: the block formats are the CPU serving layouts (a LoRA forward over them would
    /// multiply a dense copy that autograd keeps, and CUDA refuses them).</summary>
    public static IReadOnlyList<string> Trainable { get; } = [None, Nf4];

    /// <summary>Case-insensitive, surrounding spaces ignored.</summary>
    public static bool TryParse(string? name, out Quantization quantization)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case None: quantization = Quantization.None; return true;
            case Nf4: quantization = Quantization.Nf4; return true;
            case Q4_0: quantization = Quantization.Q4_0; return true;
            case Q8_0: quantization = Quantization.Q8_0; return true;
            case Nf4_0: quantization = Quantization.Nf4_0; return true;
            default: quantization = default; return false;
        }
    }

    public static Quantization Parse(string? name) =>
        TryParse(name, out var q) ? q : throw new FormatException($"Quantization '{name}' is not one of: {string.Join(", ", All)}.");

    public static string Of(Quantization quantization) => quantization switch
    {
        Quantization.None => None,
        Quantization.Nf4 => Nf4,
        Quantization.Q4_0 => Q4_0,
        Quantization.Q8_0 => Q8_0,
        Quantization.Nf4_0 => Nf4_0,
        _ => throw new ArgumentOutOfRangeException(nameof(quantization)),
    };
}

public static class QuantizationFormats
{
    /// <summary>The kernels' block format a quantization stores its layers in; null for None and NF4 (torch tensors).</summary>
    public static Kernels.BlockFormat? BlockFormat(this Quantization q) => q switch
    {
        Quantization.Q4_0 => Kernels.BlockFormat.Q4_0,
        Quantization.Q8_0 => Kernels.BlockFormat.Q8_0,
        Quantization.Nf4_0 => Kernels.BlockFormat.Nf4_0,
        _ => null,
    };
}
