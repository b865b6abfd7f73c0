using static TorchSharp.torch;

namespace Cortex1.Model.Loading;

/// <summary>
/// The compute dtypes by name: Hugging Face's torch_dtype names ("float32", "bfloat16", "float16"), which config.json
/// carries and <see cref="Of"/> writes, and the short forms people type ("fp32", "bf16", "fp16", "half").
/// </summary>
public static class DTypeName
{
    /// <summary>The HF names, for error messages and help text.</summary>
    public static IReadOnlyList<string> All { get; } = ["float32", "bfloat16", "float16"];

    /// <summary>Case-insensitive, surrounding spaces ignored.</summary>
    public static bool TryParse(string? name, out ScalarType dtype)
    {
        ScalarType? parsed = name?.Trim().ToLowerInvariant() switch
        {
            "float32" or "fp32" => ScalarType.Float32,
            "bfloat16" or "bf16" => ScalarType.BFloat16,
            "float16" or "fp16" or "half" => ScalarType.Float16,
            _ => null,
        };
        dtype = parsed ?? default;
        return parsed is not null;
    }

    public static ScalarType Parse(string? name) =>
        TryParse(name, out var t) ? t : throw new FormatException($"DType '{name}' is not one of: {string.Join(", ", All)}.");

    /// <summary>The torch_dtype name config.json gives <paramref name="dtype"/>.</summary>
    public static string Of(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => throw new ArgumentException($"Models are stored in {string.Join(", ", All)}, not {dtype}.", nameof(dtype)),
    };
}
