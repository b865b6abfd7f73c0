using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Bench;

/// <summary>
/// The peak memory of a stretch of work. On the CPU: the process's resident high-water mark (VmHWM), reset at the start
/// through /proc/self/clear_refs so a load's transients do not count. On CUDA: the device's memory in use (total − free,
/// cudaMemGetInfo) sampled every 2 ms, as TorchSharp exposes no allocator statistics; it counts the CUDA context and the
/// caching allocator's reserve, so it reads a little above torch's max_memory_allocated.
/// </summary>
public sealed class PeakMemory : IDisposable
{
    readonly Thread? _sampler;
    volatile bool _stop;
    long _cudaPeak;

    public string Source { get; }

    PeakMemory(bool cuda)
    {
        Source = cuda ? "cuda-sampled" : "rss-hwm";
        if (!cuda)
        {
            // "5" resets the high-water mark to the current RSS (Linux ≥ 4.0); elsewhere the peak is the process's.
            try { File.WriteAllText("/proc/self/clear_refs", "5"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            return;
        }
        _cudaPeak = CudaInUse();
        _sampler = new Thread(() =>
        {
            while (!_stop)
            {
                var used = CudaInUse();
                if (used > Interlocked.Read(ref _cudaPeak)) Interlocked.Exchange(ref _cudaPeak, used);
                Thread.Sleep(2);
            }
        }) { IsBackground = true, Name = "cuda-memory-sampler" };
        _sampler.Start();
    }

    public static PeakMemory Start(Device device) => new(device.type == DeviceType.CUDA);

    /// <summary>The peak so far, in bytes.</summary>
    public long PeakBytes => _sampler is null ? StatusBytes("VmHWM:") : Math.Max(Interlocked.Read(ref _cudaPeak), CudaInUse());

    /// <summary>Resident memory now (CPU), or device memory in use now (CUDA).</summary>
    public static long CurrentBytes(Device device) => device.type == DeviceType.CUDA ? CudaInUse() : StatusBytes("VmRSS:");

    /// <summary>A "VmXxx: 123 kB" line of /proc/self/status in bytes; the working set where there is none.</summary>
    static long StatusBytes(string field)
    {
        if (!File.Exists("/proc/self/status")) return Environment.WorkingSet;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? Environment.WorkingSet : long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate int MemGetInfoFunction(out nuint free, out nuint total);

    static readonly Lazy<MemGetInfoFunction?> MemGetInfo = new(() =>
    {
        foreach (var name in new[] { "libcudart.so", "libcudart.so.12", "libcudart.so.11.0" })
            if (NativeLibrary.TryLoad(name, out var lib) && NativeLibrary.TryGetExport(lib, "cudaMemGetInfo", out var f))
                return Marshal.GetDelegateForFunctionPointer<MemGetInfoFunction>(f);
        return null;
    });

    static long CudaInUse()
    {
        var f = MemGetInfo.Value ?? throw new InvalidOperationException("CUDA runtime (libcudart) not found: cannot read device memory.");
        var rc = f(out var free, out var total);
        return rc == 0 ? (long)(total - free) : throw new InvalidOperationException($"cudaMemGetInfo failed ({rc}).");
    }

    public void Dispose()
    {
        _stop = true;
        _sampler?.Join();
    }
}
