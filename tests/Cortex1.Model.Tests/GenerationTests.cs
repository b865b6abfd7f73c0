using Cortex1.Model.Chat;
using Cortex1.Model.Generation;

namespace Cortex1.Model.Tests;

public class GenerationTests
{
    static int[] Prompt(LanguageModel m, string text) =>
        m.Tokenizer.Encode(m.ChatTemplate.Render([new ChatMessage("user", text)], addGenerationPrompt: true));

    [Fact]
    public void GreedyIsDeterministicAndBatchedEqualsOneByOne()
    {
        using var model = TinyModels.Load("qwen2");
        var reqs = new[] { "Analyse BTC.", "What is the risk in lending protocols this week?", "Hi" }
            .Select(t => new GenerationRequest(Prompt(model, t), SamplingOptions.Greedy, MaxTokens: 12, StopTokens: [])).ToList();
        var gen = new Generator(model);
        var batched = gen.GenerateBatch(reqs);
        var single = reqs.Select(r => gen.GenerateBatch([r])[0]).ToList();
        for (var i = 0; i < reqs.Count; i++)
        {
            Assert.Equal(single[i].Tokens, batched[i].Tokens);
            Assert.Equal(single[i].Text, batched[i].Text);
            Assert.Equal("length", batched[i].FinishReason);
            Assert.Equal(12, batched[i].Tokens.Count);
        }
        Assert.Equal(batched[0].Tokens, gen.GenerateBatch([reqs[0]])[0].Tokens);
    }

    [Fact]
    public void SeededSamplingIsReproducible()
    {
        using var model = TinyModels.Load("phi3");
        var gen = new Generator(model);
        var p = Prompt(model, "Analyse ETH.");
        GenerationRequest Req(int seed) => new(p, new SamplingOptions(Temperature: 1.5f, TopP: 0.95f, TopK: 50, RepetitionPenalty: 1.1f, Seed: seed), 16, StopTokens: []);
        var a = gen.GenerateBatch([Req(1), Req(2)]);
        var b = gen.GenerateBatch([Req(1)]);
        Assert.Equal(a[0].Tokens, b[0].Tokens);
        Assert.NotEqual(a[0].Tokens, a[1].Tokens);
    }

    [Fact]
    public void AGroupSharingAPromptGeneratesWhatEachWouldAlone()
    {
        // A GRPO group: one prompt, several seeds (prefilled once, cache copied), plus another prompt in the same batch.
        using var model = TinyModels.Load("phi3");
        var gen = new Generator(model);
        var shared = Prompt(model, "Analyse SOL's fees this week.");
        GenerationRequest Req(int[] prompt, int seed) =>
            new(prompt, new SamplingOptions(Temperature: 1.2f, TopP: 0.95f, RepetitionPenalty: 1.1f, Seed: seed), 10, StopTokens: []);
        var reqs = new[] { Req(shared, 1), Req(Prompt(model, "BTC?"), 9), Req(shared, 2), Req(shared, 3) };
        var together = gen.GenerateBatch(reqs);
        for (var i = 0; i < reqs.Length; i++)
            Assert.Equal(gen.GenerateBatch([reqs[i]])[0].Tokens, together[i].Tokens);
        Assert.True(together[0].Tokens.SequenceEqual(together[2].Tokens) is false || together[0].Tokens.SequenceEqual(together[3].Tokens) is false,
            "different seeds sampled differently");
    }

    [Fact]
    public async Task StreamingMatchesBatchAndStopsOnStopString()
    {
        using var model = TinyModels.Load("llama");
        var gen = new Generator(model);
        var p = Prompt(model, "Analyse SOL.");
        var full = gen.GenerateBatch([new GenerationRequest(p, SamplingOptions.Greedy, 20, StopTokens: [])])[0];
        var streamed = new List<GenerationDelta>();
        await foreach (var d in gen.GenerateStreamAsync(new GenerationRequest(p, SamplingOptions.Greedy, 20, StopTokens: [])))
            streamed.Add(d);
        Assert.Equal(full.Text, string.Concat(streamed.Select(d => d.Text)));
        Assert.Equal("length", streamed[^1].FinishReason);
        Assert.All(streamed[..^1], d => Assert.Null(d.FinishReason));

        // A stop string taken from the middle of the greedy text ends generation before it, and is not emitted.
        var stop = full.Text.Length >= 6 ? full.Text.Substring(full.Text.Length / 2, 3) : null;
        Assert.NotNull(stop);
        var stopped = gen.GenerateBatch([new GenerationRequest(p, SamplingOptions.Greedy, 20, StopStrings: [stop!], StopTokens: [])])[0];
        Assert.Equal("stop", stopped.FinishReason);
        Assert.Equal(full.Text[..full.Text.IndexOf(stop!, StringComparison.Ordinal)], stopped.Text);
    }

    [Fact]
    public void StopTokenEndsGeneration()
    {
        using var model = TinyModels.Load("phi3");
        var gen = new Generator(model);
        var p = Prompt(model, "x");
        var free = gen.GenerateBatch([new GenerationRequest(p, SamplingOptions.Greedy, 8, StopTokens: [])])[0];
        var stopAt = free.Tokens[3];
        var r = gen.GenerateBatch([new GenerationRequest(p, SamplingOptions.Greedy, 8, StopTokens: [stopAt])])[0];
        Assert.Equal("stop", r.FinishReason);
        Assert.Equal(stopAt, r.Tokens[^1]);
        Assert.True(r.Tokens.Count <= 4);
    }

    [Fact]
    public async Task CancellationStopsStreaming()
    {
        using var model = TinyModels.Load("phi3");
        var gen = new Generator(model);
        using var cts = new CancellationTokenSource();
        var count = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in gen.GenerateStreamAsync(new GenerationRequest(Prompt(model, "x"), SamplingOptions.Greedy, 1000, StopTokens: []), cts.Token))
                if (++count == 3) cts.Cancel();
        });
        Assert.Equal(3, count);
    }

    [Fact]
    public void StopCheckerHoldsPossibleStopPrefix()
    {
        var s = new StopChecker([], ["</answer>"]);
        Assert.Equal("abc", s.Push("abc</an"));
        Assert.False(s.Stopped);
        Assert.Equal("x", s.Push("swer>tail") is var t && s.Stopped ? "x" : t);
        Assert.Equal("", s.Flush());
        var s2 = new StopChecker([], ["</answer>"]);
        Assert.Equal("a", s2.Push("a</"));
        Assert.Equal("</b", s2.Push("b") + s2.Flush());
    }

    [Fact]
    public void PenaltiesLowerRepeatedTokens()
    {
        var logits = new[] { 1f, 2f, 1.9f };
        Assert.Equal(1, new Sampler(SamplingOptions.Greedy).Sample(logits, [1]));
        Assert.Equal(2, new Sampler(new SamplingOptions(RepetitionPenalty: 1.5f)).Sample(logits, [1]));
        Assert.Equal(2, new Sampler(new SamplingOptions(PresencePenalty: 0.5f)).Sample(logits, [1]));
    }

    [Fact]
    public void TopKOfOneIsExactlyGreedyEvenWithTiedLogits()
    {
        // bf16 logits tie often; ties must break the same way in both paths.
        var logits = new[] { 0.5f, 3f, 3f, -1f, 3f };
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal(Sampler.ArgMax(logits), new Sampler(new SamplingOptions(Temperature: 1f, TopK: 1, Seed: seed)).Sample(logits, []));
    }

    [Fact]
    public void SamplingFollowsTheTemperatureScaledDistribution()
    {
        // Two tokens one logit apart at T = 1: the second is drawn e^-1 / (1 + e^-1) ≈ 26.9 % of the time.
        var logits = new[] { 2f, 1f, -100f };
        var sampler = new Sampler(new SamplingOptions(Temperature: 1f, Seed: 3));
        var draws = Enumerable.Range(0, 4000).Select(_ => sampler.Sample(logits, [])).ToList();
        Assert.DoesNotContain(2, draws);
        Assert.InRange(draws.Count(d => d == 1) / 4000.0, 0.24, 0.30);
    }
}
