using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Devices;

/// <summary>Picks the device and compute dtype: CUDA when this build has it and a GPU is present, else CPU;
/// bf16 on CUDA and on CPUs with native bf16 dot products (AVX512-BF16/AMX), fp32 elsewhere.</summary>
public static class DeviceSelector
{
    public static bool CudaAvailable
    {
        get { try { return cuda.is_available(); } catch (Exception) { return false; } }
    }

    /// <summary>"cpu", "cuda" or null/empty for the best available. Asking for cuda without it is an error, not a fallback.</summary>
    public static Device Resolve(string? requested)
    {
        var name = string.IsNullOrWhiteSpace(requested) ? (CudaAvailable ? "cuda" : "cpu") : requested.Trim().ToLowerInvariant();
        if (name.StartsWith("cuda") && !CudaAvailable)
            throw new InvalidOperationException("CUDA was requested but is not available (build with -p:TorchDevice=cuda on a GPU machine).");
        if (name != "cpu" && !name.StartsWith("cuda")) throw new ArgumentException($"Unknown device '{requested}'; use cpu or cuda.");
        return torch.device(name);
    }

    public static ScalarType DefaultDType(Device device) =>
        device.type == DeviceType.CUDA || CpuHasFastBf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    static readonly Lazy<bool> _fastBf16 = new(() =>
    {
        try
        {
            var flags = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : "";
            return flags.Contains(" avx512_bf16") || flags.Contains(" amx_bf16");
        }
        catch (IOException) { return false; }
    });

    public static bool CpuHasFastBf16 => _fastBf16.Value;
}
