using Cortex1.Model.Export;
using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using Cortex1.Model.Tokenization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cortex1.Export.Tests;

/// <summary>
/// Our engine and llama.cpp, given the same exported weights and the same token ids, compute the same logits at every
/// position. This is the engine's first independent check: a wrong q/k/v split, gate/up order, RoPE convention or
/// misplaced bias passes every engine-against-itself test, and fails here.
/// </summary>
public sealed class GgufParityTests(ITestOutputHelper output)
{
    /// <summary>fp32 against fp32: only summation order differs.</summary>
    const float F32Bound = 1e-4f;

    /// <summary>
    /// llama.cpp with Q8_0/Q4_0 weights also rounds the activations to Q8_0 blocks before each matmul (ggml's
    /// vec_dot_type for both), which our fp32 engine on the same dequantised weights does not, so the gap scales with
    /// the logits: bounded by this fraction of the largest |logit| (measured: 0.6–1.6 %).
    /// </summary>
    const float QuantisedRelativeBound = 0.03f;

    static readonly string Text = "Bitcoin rose 3.7% to $64,250 while ETH fell; the market's volume was 12345 on-chain.";

    static int[] Tokens(string folder) => TextTokenizer.Load(folder).Encode(Text);

    [Theory]
    [InlineData("phi3")]
    [InlineData("qwen2")]
    [InlineData("llama")]
    [InlineData(Exports.Baby)]
    public void F32ExportComputesTheEnginesLogitsAtEveryPosition(string family)
    {
        var folder = Exports.Tiny(family);
        using var model = Exports.Load(folder);
        var tokens = Tokens(folder);
        Assert.True(tokens.Length >= 16, $"only {tokens.Length} tokens");
        var ours = Exports.EngineLogits(model, tokens);
        using var cpp = new LlamaCpp(Exports.Gguf(folder, "f32"));
        var diff = Exports.MaxAbsDiff(ours, cpp.Logits(tokens));
        output.WriteLine($"parity family={family} type=f32 positions={tokens.Length} max_abs_diff={diff:E3}");
        Assert.True(diff <= F32Bound, $"{family} f32: max |Δlogit| {diff:E3} > {F32Bound:E0}");
    }

    [Theory]
    [InlineData("phi3", "q8_0")]
    [InlineData("qwen2", "q8_0")]
    [InlineData("llama", "q8_0")]
    [InlineData("phi3", "q4_0")]
    [InlineData("qwen2", "q4_0")]
    [InlineData("llama", "q4_0")]
    [InlineData(Exports.Baby, "q8_0")]
    public void QuantisedExportComputesTheEnginesLogitsOnTheDequantisedWeights(string family, string type)
    {
        var folder = Exports.Tiny(family);
        var tokens = Tokens(folder);
        using var model = Exports.Load(Exports.Dequantised(folder, GgufExport.ParseType(type)));
        var ours = Exports.EngineLogits(model, tokens);
        using var full = Exports.Load(folder);
        var exact = Exports.EngineLogits(full, tokens);
        using var cpp = new LlamaCpp(Exports.Gguf(folder, type));
        var theirs = cpp.Logits(tokens);
        var diff = Exports.MaxAbsDiff(ours, theirs);
        var scale = ours.Max(r => r.Max(Math.Abs));
        output.WriteLine($"parity family={family} type={type} positions={tokens.Length} max_abs_diff={diff:E3} max_abs_logit={scale:F2} vs_fp32_weights={Exports.MaxAbsDiff(exact, theirs):E3}");
        Assert.True(diff <= QuantisedRelativeBound * scale, $"{family} {type}: max |Δlogit| {diff:E3} > {QuantisedRelativeBound} × {scale:F2}");
        // Q4_0's weight rounding dwarfs the activation rounding: the engine on our dequantised weights must then be far
        // closer to llama.cpp than the engine on the original weights, or the file does not hold the weights we think.
        if (type == "q4_0") Assert.True(diff * 3 < Exports.MaxAbsDiff(exact, theirs), $"{family} q4_0: dequantised {diff:E3} vs original {Exports.MaxAbsDiff(exact, theirs):E3}");
    }

    [Theory]
    [InlineData("phi3", false)]
    [InlineData("qwen2", true)]
    [InlineData("llama", false)]
    public void MergedAdapterExportComputesTheEnginesLogitsWithTheAdapter(string family, bool rsLora)
    {
        var folder = Exports.Tiny(family);
        using var model = Exports.Load(folder);
        model.AddAdapter("a", new LoraConfig(4, 8, 0, UseRsLora: rsLora), seed: 7);
        using (no_grad())
            foreach (var p in model.AdapterParameters("a"))
                using (var r = randn(p.shape)) p.copy_(r.TimesInPlace(0.1));
        var adapter = Exports.NewFolder("adapter");
        model.SaveAdapter("a", adapter);
        var tokens = Tokens(folder);
        var ours = Exports.EngineLogits(model, tokens, adapter: "a");
        var plain = Exports.EngineLogits(model, tokens);
        using var cpp = new LlamaCpp(Exports.Gguf(folder, "f32", adapter));
        var theirs = cpp.Logits(tokens);
        var diff = Exports.MaxAbsDiff(ours, theirs);
        output.WriteLine($"parity family={family} type=f32+adapter rslora={rsLora} max_abs_diff={diff:E3} (adapter moves logits by {Exports.MaxAbsDiff(ours, plain):F2})");
        Assert.True(Exports.MaxAbsDiff(ours, plain) > 0.1f, "the adapter should change the logits");
        Assert.True(diff <= F32Bound, $"{family} merged: max |Δlogit| {diff:E3} > {F32Bound:E0}");
    }
}

/// <summary>The exported model answers in llama.cpp with the text our generator produces, greedy, for a chat prompt.</summary>
public sealed class GgufGreedyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("qwen2", "Will BTC close above $60,000 this week?", 24)]
    [InlineData("llama", "Will BTC close above $60,000 this week?", 24)]
    // The pretrained baby writes a report: a long answer in words and numbers, where a wrong RoPE or merge order would
    // show within a few tokens.
    [InlineData(Exports.Baby, "Give me a market analysis of Ethereum.", 160)]
    public void GreedyAnswerIsTheSameInLlamaCpp(string family, string question, int maxTokens)
    {
        var folder = Exports.Tiny(family);
        using var model = Exports.Load(folder);
        var prompt = model.Tokenizer.Encode(model.ChatTemplate.Render([new("user", question)], addGenerationPrompt: true));
        var ours = new Cortex1.Model.Generation.Generator(model).GenerateBatch(
            [new Cortex1.Model.Generation.GenerationRequest(prompt, Cortex1.Model.Generation.SamplingOptions.Greedy, maxTokens)])[0];
        using var cpp = new LlamaCpp(Exports.Gguf(folder, "f32"), context: 256);
        var stops = model.Tokenizer.EosTokenIds;
        var theirs = cpp.Greedy(prompt, maxTokens, stops.ToArray());
        output.WriteLine($"{family}: {ours.Tokens.Count} tokens, {ours.FinishReason}: {ours.Text}");
        Assert.Equal(ours.Tokens.Where(t => !stops.Contains(t)), theirs);
        Assert.Equal(ours.Text, model.Tokenizer.Decode(theirs));
    }
}
