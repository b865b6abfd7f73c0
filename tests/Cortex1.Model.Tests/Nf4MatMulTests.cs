using System.Runtime.InteropServices;
using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using Cortex1.Model.Nf4;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>The NF4 projection's autograd function: the same gradients as a plain matmul on the dequantised weight, without
/// keeping that dense weight alive until backward.</summary>
[Collection(HeapMeasurements.Isolated)]
public class Nf4MatMulTests
{
    static Projection NewProjection(string name, long inFeatures, long outFeatures, int seed)
    {
        var p = new Projection(name, inFeatures, outFeatures);
        using var w = randn([outFeatures, inFeatures], generator: new Generator((ulong)seed)).Times(0.05);
        p.SetWeight(w, ScalarType.Float32, CPU, quantize: true);
        return p;
    }

    [Fact]
    public void GradientsOfInputAndLoraEqualThoseOfTheDequantisedMatMul()
    {
        using var proj = NewProjection("p", 128, 192, 1);
        var lora = LoraWeights.Create(128, 192, new LoraConfig(4, 8, 0), CPU, new Generator(2UL));
        using (no_grad()) lora.B.normal_(0, 0.1);   // a non-zero B, so A gets a gradient too
        proj.AddAdapter("a", lora);
        using var x0 = randn([6, 128], generator: new Generator(3UL));
        using var upstream = randn([6, 192], generator: new Generator(4UL));

        using var x = x0.clone().requires_grad_(true);
        using var y = proj.Forward(x, AdapterRouting.All("a"));
        using (var loss = (y * upstream).sum()) loss.backward();
        var (gx, ga, gb) = (x.grad!.clone(), lora.A.grad!.clone(), lora.B.grad!.clone());
        lora.A.grad!.zero_(); lora.B.grad!.zero_();

        // The reference: what autograd does with the dense weight, y = x·W + LoRA(x).
        using var xr = x0.clone().requires_grad_(true);
        using var w = proj.Weight(ScalarType.Float32);
        using var yr = xr.matmul(w).Plus(lora.Delta(xr));
        using (var loss = (yr * upstream).sum()) loss.backward();

        Assert.True((y - yr).abs().max().item<float>() < 1e-5f);
        Assert.True((gx - xr.grad!).abs().max().item<float>() < 1e-5f, "input gradient");
        Assert.True((ga - lora.A.grad!).abs().max().item<float>() < 1e-5f, "LoRA A gradient");
        Assert.True((gb - lora.B.grad!).abs().max().item<float>() < 1e-5f, "LoRA B gradient");
        Assert.True(gx.abs().sum().item<float>() > 0 && ga.abs().sum().item<float>() > 0);
    }

    /// <summary>
    /// A chain of NF4 projections run with autograd on: the graph alive after the forward holds no dequantised weight
    /// (heap in use grows by about one transient weight at most), while the same chain as plain matmuls on the
    /// dequantised weights holds all of them, which shows the measurement sees what it is meant to.
    /// </summary>
    [Fact]
    public void TheGraphKeepsNoDequantisedWeight()
    {
        const int Layers = 8, Width = 2048;
        const long WeightBytes = (long)Width * Width * 4;   // 16 MB each in fp32
        var chain = Enumerable.Range(0, Layers).Select(i => NewProjection($"p{i}", Width, Width, 10 + i)).ToList();
        try
        {
            using var x0 = randn([4, Width], generator: new Generator(5UL)).requires_grad_(true);

            long held;
            using (var scope = NewDisposeScope())
            {
                var before = HeapMeasurements.InUseBytes();
                var y = x0;
                foreach (var p in chain) y = p.Forward(y, AdapterRouting.None);
                held = HeapMeasurements.InUseBytes() - before;
                y.sum().backward();   // the graph is real: a gradient reaches x
                Assert.True(x0.grad!.abs().sum().item<float>() > 0);
            }
            Assert.True(held < WeightBytes * 3 / 2, $"the graph holds {held / 1e6:F1} MB after the forward; one weight is {WeightBytes / 1e6:F1} MB");

            long reference;
            using (var scope = NewDisposeScope())
            {
                var before = HeapMeasurements.InUseBytes();
                var y = x0;
                foreach (var p in chain) { var w = p.Weight(ScalarType.Float32); y = y.matmul(w); w.Dispose(); }
                reference = HeapMeasurements.InUseBytes() - before;
            }
            Assert.True(reference > WeightBytes * Layers * 9 / 10, $"plain matmuls held only {reference / 1e6:F1} MB");
        }
        finally
        {
            foreach (var p in chain) p.Dispose();
        }
    }
}

/// <summary>Bytes the C heap has handed out and not got back (glibc's mallinfo2: arenas plus mmapped blocks), which is
/// where libtorch's CPU tensors live; unlike RSS it does not count memory freed but kept by the allocator.</summary>
public static class HeapMeasurements
{
    public const string Isolated = "heap measurements";

    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern MallInfo2 mallinfo2();

    public static long InUseBytes()
    {
        var m = mallinfo2();
        return (long)(m.Uordblks + m.Hblkhd);
    }
}

/// <summary>Heap measurements run alone: another test's allocations would show up in them.</summary>
[CollectionDefinition(HeapMeasurements.Isolated, DisableParallelization = true)]
public sealed class HeapMeasurementsCollection;
