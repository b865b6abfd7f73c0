using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cortex1.Bench;

/// <summary>Read bandwidth as decode sees it: threads summing disjoint slices of a buffer far larger than the caches;
/// the best of a few passes, in GB/s.</summary>
public static unsafe class MemoryBandwidth
{
    public static double Measure(int threads, long bytes = 512L << 20, int passes = 4)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            var n = bytes / 4;
            for (long i = 0; i < n; i += 1024) p[i] = 1;   // touch every page
            nint pp = (nint)p;
            var best = 0.0;
            var sink = 0f;
            for (var pass = 0; pass < passes; pass++)
            {
                var partial = new float[threads];
                var sw = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, k =>
                {
                    var start = n * k / threads / 32 * 32;
                    var end = n * (k + 1) / threads / 32 * 32;
                    Vector256<float> a = default, b = default, c = default, d = default;
                    for (var i = start; i < end; i += 32)
                    {
                        var at = (float*)pp + i;
                        a += Vector256.Load(at); b += Vector256.Load(at + 8); c += Vector256.Load(at + 16); d += Vector256.Load(at + 24);
                    }
                    partial[k] = Vector256.Sum(a + b + c + d);
                });
                best = Math.Max(best, bytes / sw.Elapsed.TotalSeconds / 1e9);
                sink += partial.Sum();
            }
            return sink >= 0 ? best : -best;   // keeps the sums observable
        }
        finally
        {
            NativeMemory.AlignedFree(p);
        }
    }
}
