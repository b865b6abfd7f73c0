using Cortex1.Model.Loading;
using static TorchSharp.torch;

namespace Cortex1.Inference.Engine;

/// <summary>Turns the configuration strings into the engine's <see cref="LoadOptions"/>, naming the bad value when one is wrong.</summary>
public static class LoadOptionsParser
{
    public static LoadOptions Parse(InferenceOptions options)
    {
        var quantization = Quantization.None;
        if (!string.IsNullOrWhiteSpace(options.Quantization) && !QuantizationName.TryParse(options.Quantization, out quantization))
            throw new InvalidOperationException($"Inference:Quantization '{options.Quantization.Trim()}' is not one of: {string.Join(", ", QuantizationName.All)}.");
        ScalarType? dtype = null;
        if (!string.IsNullOrWhiteSpace(options.DType))
            dtype = DTypeName.TryParse(options.DType, out var parsed) ? parsed
                : throw new InvalidOperationException($"Inference:DType '{options.DType.Trim()}' is not one of: {string.Join(", ", DTypeName.All)}.");
        var device = options.Device?.Trim().ToLowerInvariant();
        if (device is not (null or "" or "cpu" or "cuda") && !device.StartsWith("cuda:", StringComparison.Ordinal))
            throw new InvalidOperationException($"Inference:Device '{options.Device}' is not one of: cpu, cuda, cuda:N.");
        return new LoadOptions(quantization, dtype, string.IsNullOrEmpty(device) ? null : device);
    }
}
