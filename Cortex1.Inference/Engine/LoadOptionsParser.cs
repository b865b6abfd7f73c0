using Cortex1.Model.Loading;
using static TorchSharp.torch;

namespace Cortex1.Inference.Engine;

/// <summary>Turns the configuration strings into the engine's <see cref="LoadOptions"/>, naming the bad value when one is wrong.</summary>
public static class LoadOptionsParser
{
    public static LoadOptions Parse(InferenceOptions options)
    {
        var quantization = options.Quantization.Trim().ToLowerInvariant() switch
        {
            "" or "none" => Quantization.None,
            "nf4" => Quantization.Nf4,
            var other => throw new InvalidOperationException($"Inference:Quantization '{other}' is not one of: none, nf4."),
        };
        ScalarType? dtype = options.DType?.Trim().ToLowerInvariant() switch
        {
            null or "" => null,
            "float32" or "fp32" => ScalarType.Float32,
            "bfloat16" or "bf16" => ScalarType.BFloat16,
            "float16" or "fp16" or "half" => ScalarType.Float16,
            var other => throw new InvalidOperationException($"Inference:DType '{other}' is not one of: float32, bfloat16, float16."),
        };
        var device = options.Device?.Trim().ToLowerInvariant();
        if (device is not (null or "" or "cpu" or "cuda") && !device.StartsWith("cuda:", StringComparison.Ordinal))
            throw new InvalidOperationException($"Inference:Device '{options.Device}' is not one of: cpu, cuda, cuda:N.");
        return new LoadOptions(quantization, dtype, string.IsNullOrEmpty(device) ? null : device);
    }
}
