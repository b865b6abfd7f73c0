using static TorchSharp.torch;

namespace Cortex1.Model.Loading;

/// <summary>How to load a model. DType null = the device's default (see <see cref="Devices.DeviceSelector"/>);
/// Device "cpu" or "cuda" (null/empty = best available); Kernels: the instruction set of the block-quantised CPU
/// kernels (null = <see cref="Kernels.KernelPaths.Default"/>, the best this processor runs).</summary>
public sealed record LoadOptions(Quantization Quantization = Quantization.None, ScalarType? DType = null, string? Device = null, Kernels.KernelPath? Kernels = null)
{
    public static LoadOptions Default { get; } = new();
}
