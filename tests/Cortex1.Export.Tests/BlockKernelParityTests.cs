using Cortex1.Model;
using Cortex1.Model.Export;
using Cortex1.Model.Loading;
using Cortex1.Model.Tokenization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cortex1.Export.Tests;

/// <summary>
/// The engine on its block-quantised CPU kernels (q4_0 / q8_0) against llama.cpp on the GGUF of the same model. Both
/// hold the same block values and both round activations to int8 per 32-block (q = round(x·127/max), the scale in
/// fp16) before each matmul, so the logits agree to float summation order (measured ≤ 1e-5 of the largest logit),
/// far closer than the fp32 engine on the dequantised weights, which skips the activation rounding
/// (<see cref="GgufParityTests"/>: ~1 %). phi3 with Q8_0 weights is the exception measured so far (~1 % apart while
/// llama with Q8_0 and phi3 with Q4_0 agree to 1e-7): there only "closer than fp32" is asserted.
/// </summary>
public sealed class BlockKernelParityTests(ITestOutputHelper output)
{
    static readonly string Text = "Bitcoin rose 3.7% to $64,250 while ETH fell; the market's volume was 12345 on-chain.";

    [Theory]
    [InlineData("qwen2", "q4_0", Quantization.Q4_0, true)]
    [InlineData("llama", "q4_0", Quantization.Q4_0, true)]
    [InlineData("phi3", "q4_0", Quantization.Q4_0, true)]
    [InlineData("llama", "q8_0", Quantization.Q8_0, true)]
    [InlineData("phi3", "q8_0", Quantization.Q8_0, false)]
    public void BlockEngineComputesLlamaCppsLogits(string family, string type, Quantization q, bool exact)
    {
        var folder = Exports.Tiny(family);
        var tokens = TextTokenizer.Load(folder).Encode(Text);
        using var blocks = LanguageModel.Load(folder, new LoadOptions(q, ScalarType.Float32, "cpu"));
        var ours = Exports.EngineLogits(blocks, tokens);
        using var dequantised = Exports.Load(Exports.Dequantised(folder, GgufExport.ParseType(type)));
        var fp32 = Exports.EngineLogits(dequantised, tokens);
        using var cpp = new LlamaCpp(Exports.Gguf(folder, type));
        var theirs = cpp.Logits(tokens);
        var diff = Exports.MaxAbsDiff(ours, theirs);
        var fp32Diff = Exports.MaxAbsDiff(fp32, theirs);
        var scale = theirs.Max(r => r.Max(Math.Abs));
        output.WriteLine($"block parity family={family} type={type} max_abs_diff={diff:E3} fp32_on_dequantised={fp32Diff:E3} max_abs_logit={scale:F2}");
        Assert.True(diff < fp32Diff, $"{family} {type}: the block engine ({diff:E3}) should be closer to llama.cpp than fp32 on the dequantised weights ({fp32Diff:E3})");
        if (exact) Assert.True(diff <= 1e-4f * scale, $"{family} {type}: max |Δlogit| {diff:E3} > 1e-4 × {scale:F2}");
        var sameArgmax = ours.Zip(theirs).Count(p => ArgMax(p.First) == ArgMax(p.Second));
        Assert.True(sameArgmax >= tokens.Length - 1, $"argmax agreed at {sameArgmax}/{tokens.Length}");
    }

    static int ArgMax(float[] v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
