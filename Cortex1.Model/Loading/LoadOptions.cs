using static TorchSharp.torch;

namespace Cortex1.Model.Loading;

/// <summary>How to load a model. DType null = the device's default (see <see cref="Devices.DeviceSelector"/>);
/// Device "cpu" or "cuda" (null/empty = best available).</summary>
public sealed record LoadOptions(Quantization Quantization = Quantization.None, ScalarType? DType = null, string? Device = null)
{
    public static LoadOptions Default { get; } = new();
}
