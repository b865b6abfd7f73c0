using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Cortex1.Model.Kernels;

/// <summary>
/// What the processor offers the engine, read once: the instruction sets the runtime reports (what the JIT will
/// emit) and the flags /proc/cpuinfo lists (native bf16 dot products: x86 avx512_bf16 / amx_bf16, ARM bf16), which
/// decide the compute dtype. <see cref="Parse"/> reads any cpuinfo text, so tests take each branch.
/// </summary>
public sealed record CpuFeatures(bool Avx2, bool AvxVnni, bool Avx512, bool NativeBf16, string Bf16Flags)
{
    public static CpuFeatures Current { get; } = Parse(ReadCpuInfo(),
        avx2: System.Runtime.Intrinsics.X86.Avx2.IsSupported && Fma.IsSupported,
        avxVnni: System.Runtime.Intrinsics.X86.AvxVnni.IsSupported,
        avx512: Avx512BW.IsSupported && Avx512F.IsSupported,
        armBf16: AdvSimd.IsSupported);

    /// <summary>The features a cpuinfo text lists; on ARM the "Features" line's bf16 counts only with AdvSimd present.</summary>
    public static CpuFeatures Parse(string cpuinfo, bool avx2, bool avxVnni, bool avx512, bool armBf16)
    {
        var flags = cpuinfo.Split('\n')
            .Where(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal))
            .SelectMany(l => l[(l.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        string[] x86 = ["avx512_bf16", "amx_bf16"];
        var found = x86.Where(flags.Contains).ToList();
        if (armBf16 && flags.Contains("bf16")) found.Add("bf16");
        return new CpuFeatures(avx2, avxVnni, avx512, found.Count > 0, string.Join(',', found));
    }

    static string ReadCpuInfo()
    {
        try { return File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : ""; }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    /// <summary>One line for logs and bench headers.</summary>
    public string Describe() =>
        $"avx2={(Avx2 ? 1 : 0)} avx_vnni={(AvxVnni ? 1 : 0)} avx512bw={(Avx512 ? 1 : 0)} native_bf16={(NativeBf16 ? Bf16Flags : "none")}";
}
