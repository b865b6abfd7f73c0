using System.Globalization;
using Cortex1.Trainer.Bench;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Tests;

/// <summary>The full-shape memory bench, run at the tiny shape: its steps run and its last line reports what it measured.
/// Alone: the peak is the whole process's RSS, which a parallel test freeing memory would move.</summary>
[Collection(ProcessMemory.Isolated)]
public sealed class ShapeBenchTests
{
    [Fact]
    public void TinyShapeRunsBothStepsAndReportsPeakMemory()
    {
        var output = new StringWriter();
        Assert.Equal(0, ShapeBench.Run(["--shape", "tiny", "--seq", "96", "--completion", "8", "--checkpointing", "on"], output));
        var last = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        var values = last.Split(' ').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        double Number(string key) => double.Parse(values[key], CultureInfo.InvariantCulture);

        Assert.Equal("true", values["checkpointing"]);
        Assert.InRange(Number("sft_tokens"), 90, 96);          // prompt + target filled to the sequence length
        Assert.InRange(Number("grpo_prompt_tokens"), 82, 88);  // seq − completion
        Assert.True(Number("grpo_group_tokens") > Number("grpo_prompt_tokens"));
        // The tiny phi3 shape: 2 layers of qkv 64→128, o 64→64, gate_up 64→256, down 128→64, each with r 16 A and B.
        Assert.Equal(2 * 16 * ((64 + 128) + (64 + 64) + (64 + 256) + (128 + 64)), Number("lora_params"));
        Assert.True(Number("base_mb") > 0 && Number("peak_mb") >= Number("sft_peak_mb") && Number("sft_peak_mb") > 0);
    }

    [Fact]
    public void CpuPeakSeesMemoryTouchedAndFreedWithinIt()
    {
        long before, peak;
        using (var memory = PeakMemory.Start(CPU))
        {
            before = PeakMemory.CurrentBytes(CPU);
            using (var big = ones([64L << 20], ScalarType.Float32)) Assert.Equal(1f, big[^1].item<float>());   // 256 MB, every page written
            peak = memory.PeakBytes;
        }
        Assert.True(peak - before >= 250L << 20, $"peak {peak >> 20} MB, before {before >> 20} MB");
    }
}

[CollectionDefinition(ProcessMemory.Isolated, DisableParallelization = true)]
public sealed class ProcessMemory
{
    public const string Isolated = "process memory measured alone";
}
