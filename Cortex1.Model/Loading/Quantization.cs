namespace Cortex1.Model.Loading;

/// <summary>How a model's projection weights are stored once loaded.</summary>
public enum Quantization
{
    /// <summary>Dense, in the compute dtype.</summary>
    None,

    /// <summary>QLoRA's 4-bit NormalFloat (<see cref="Nf4.Nf4Tensor"/>), dequantised at matmul.</summary>
    Nf4,
}

/// <summary>
/// The names configuration, command lines and API requests use for a <see cref="Quantization"/> ("none", "nf4"):
/// the one mapping every service and bench parses with, so they accept the same spellings.
/// </summary>
public static class QuantizationName
{
    public const string None = "none";
    public const string Nf4 = "nf4";

    /// <summary>Every accepted name, for error messages and help text.</summary>
    public static IReadOnlyList<string> All { get; } = [None, Nf4];

    /// <summary>Case-insensitive, surrounding spaces ignored.</summary>
    public static bool TryParse(string? name, out Quantization quantization)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case None: quantization = Quantization.None; return true;
            case Nf4: quantization = Quantization.Nf4; return true;
            default: quantization = default; return false;
        }
    }

    public static Quantization Parse(string? name) =>
        TryParse(name, out var q) ? q : throw new FormatException($"Quantization '{name}' is not one of: {string.Join(", ", All)}.");

    public static string Of(Quantization quantization) => quantization switch
    {
        Quantization.None => None,
        Quantization.Nf4 => Nf4,
        _ => throw new ArgumentOutOfRangeException(nameof(quantization)),
    };
}
