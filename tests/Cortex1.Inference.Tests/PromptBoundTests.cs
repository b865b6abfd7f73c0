using System.Text;
using Cortex1.Inference.Validation;

namespace Cortex1.Inference.Tests;

/// <summary>A prompt far past the context is refused from its length, before it is tokenised, and costs no memory.
/// Alone: the memory check reads the process's whole managed heap.</summary>
[Collection(ProcessMeasurements.Name)]
public sealed class PromptBoundTests : IAsyncLifetime
{
    private InferenceServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await InferenceServer.StartAsync(new Dictionary<string, string> { ["Inference:MaxRequestBodyBytes"] = (8 * 1024 * 1024).ToString() });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The bound is a true lower bound: it never exceeds the real token count, so it never refuses a prompt that fits.</summary>
    [Fact]
    public void The_bound_never_exceeds_the_real_token_count()
    {
        var tokenizer = _server.Host.Model.Tokenizer;
        var random = new Random(3);
        var texts = new List<string>
        {
            "", "a", "Is this a bull market? ", string.Concat(Enumerable.Repeat("the ", 500)),
            "\u1100\u1161\u11A8 e\u0301 \u0958 \uFB2C", // Hangul jamo and combining marks NFC composes, a Devanagari letter it decomposes
            "<|user|>hi<|end|><|assistant|>", new string(' ', 3000), new string('7', 3000),
        };
        for (var i = 0; i < 50; i++)
            texts.Add(new string(Enumerable.Range(0, random.Next(1, 400)).Select(_ => (char)random.Next(32, 0x3000)).Where(c => !char.IsSurrogate(c)).ToArray()));
        foreach (var text in texts)
            Assert.True(PromptBound.MinTokens(tokenizer, text) <= tokenizer.Encode(text, allowSpecial: true).Length, text);
    }

    [Fact]
    public async Task Twenty_huge_prompts_are_refused_without_tokenising_and_without_memory_growth()
    {
        var model = _server.Host.Model;
        // ~4 MB of text: hundreds of thousands of tokens, far past the 16k context.
        var content = string.Concat(Enumerable.Repeat("Bitcoin closed at 43,210.55 with volume up 12%. ", 80_000));
        Assert.True(PromptBound.MinTokens(model.Tokenizer, content) >= model.ContextLength);
        var body = System.Text.Json.JsonSerializer.Serialize(new { model = _server.ModelName, messages = new[] { new { role = "user", content } } });

        await RefuseAsync(body); // first use: the bound's per-tokenizer table, JIT
        var before = Live();
        for (var i = 0; i < 20; i++) await RefuseAsync(body);
        var grown = Live() - before;
        // Tokenising each took seconds and left memory behind in the tokenizer; the length check is one pass over the text
        // and keeps nothing. (Resident memory is no measure here: the GC keeps the heap it grew for the 4 MB bodies.)
        Assert.True(grown < 32L * 1024 * 1024, $"live managed memory grew by {grown / (1024 * 1024)} MB over 20 refusals");
    }

    private async Task RefuseAsync(string body)
    {
        var (status, json, _) = await _server.PostAsync("v1/chat/completions", body);
        Assert.Equal(400, status);
        var error = json.GetProperty("error");
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        // "at least": refused from its length; a tokenised prompt is reported with its exact count.
        Assert.Contains("your prompt has at least", error.GetProperty("message").GetString());
    }

    private static long Live() => GC.GetTotalMemory(forceFullCollection: true);
}
