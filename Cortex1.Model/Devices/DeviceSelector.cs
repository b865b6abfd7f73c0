using Cortex1.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Devices;

/// <summary>Picks the device and compute dtype: CUDA when this build has it and a GPU is present, else CPU;
/// bf16 on CUDA and on CPUs with native bf16 dot products (AVX512-BF16/AMX, ARM BF16), fp32 elsewhere — libtorch's
/// bf16 on a CPU without them measured 5–50× slower than fp32, so it is never the default there.</summary>
public static class DeviceSelector
{
    /// <summary>Forces the CPU compute dtype (fp32 or bf16) regardless of the processor.</summary>
    public const string CpuDTypeVariable = "CORTEX1_CPU_DTYPE";

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

    public static ScalarType DefaultDType(Device device) => Choose(device.type, CpuFeatures.Current, Environment.GetEnvironmentVariable(CpuDTypeVariable)).DType;

    /// <summary>The compute dtype for a device type on a processor, and why (the line the load log states).
    /// `forced` (fp32/float32 or bf16/bfloat16) overrides the CPU choice.</summary>
    public static (ScalarType DType, string Reason) Choose(DeviceType device, CpuFeatures cpu, string? forced)
    {
        if (device == DeviceType.CUDA) return (ScalarType.BFloat16, "bf16 on CUDA");
        if (!string.IsNullOrWhiteSpace(forced))
        {
            if (!Loading.DTypeName.TryParse(forced, out var dt) || dt is not (ScalarType.Float32 or ScalarType.BFloat16))
                throw new ArgumentException($"{CpuDTypeVariable}='{forced}' is not fp32 or bf16.");
            return (dt, $"{Loading.DTypeName.Of(dt)} forced by {CpuDTypeVariable}");
        }
        return cpu.NativeBf16
            ? (ScalarType.BFloat16, $"bf16: the CPU has native bf16 ({cpu.Bf16Flags})")
            : (ScalarType.Float32, "fp32: the CPU has no native bf16 (avx512_bf16, amx_bf16 or ARM bf16)");
    }
}
