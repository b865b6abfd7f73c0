namespace Cortex1.Model.Kernels;

/// <summary>Which instruction set the block-quantised kernels run on. Avx2Vnni is the AVX2 path with AVX-VNNI's
/// vpdpbusd in place of vpmaddubsw + vpmaddwd (.NET 10 exposes no EVEX vpdpbusd, so AVX-512 uses the pair).</summary>
public enum KernelPath { Scalar, Avx2, Avx2Vnni, Avx512 }

public static class KernelPaths
{
    /// <summary>The fastest path this processor runs, unless <c>CORTEX1_KERNELS</c> (scalar, avx2, avx2vnni, avx512)
    /// forces one; decided once at start-up.</summary>
    public static KernelPath Default { get; } = Resolve(Environment.GetEnvironmentVariable("CORTEX1_KERNELS"), CpuFeatures.Current);

    public static KernelPath Resolve(string? forced, CpuFeatures cpu)
    {
        if (!string.IsNullOrWhiteSpace(forced))
        {
            var path = Parse(forced);
            return IsSupported(path, cpu) ? path : throw new PlatformNotSupportedException($"Kernel path '{forced}' needs an instruction set this processor lacks ({cpu.Describe()}).");
        }
        return cpu.Avx512 ? KernelPath.Avx512 : cpu.AvxVnni && cpu.Avx2 ? KernelPath.Avx2Vnni : cpu.Avx2 ? KernelPath.Avx2 : KernelPath.Scalar;
    }

    public static bool IsSupported(KernelPath path, CpuFeatures cpu) => path switch
    {
        KernelPath.Scalar => true,
        KernelPath.Avx2 => cpu.Avx2,
        KernelPath.Avx2Vnni => cpu.Avx2 && cpu.AvxVnni,
        KernelPath.Avx512 => cpu.Avx512,
        _ => false,
    };

    public static KernelPath Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "scalar" => KernelPath.Scalar,
        "avx2" => KernelPath.Avx2,
        "avx2vnni" or "avx2-vnni" or "avx_vnni" => KernelPath.Avx2Vnni,
        "avx512" => KernelPath.Avx512,
        _ => throw new FormatException($"Unknown kernel path '{name}'; use scalar, avx2, avx2vnni or avx512."),
    };

    public static string Name(KernelPath path) => path.ToString().ToLowerInvariant();
}
