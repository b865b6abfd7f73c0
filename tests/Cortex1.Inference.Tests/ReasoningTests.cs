using System.Text.Json;
using Cortex1.Inference.Api;
using Cortex1.Model.Chat;
using Cortex1.Model.Tiny;

namespace Cortex1.Inference.Tests;

/// <summary>
/// A tiny DeepSeek-R1-distill-style model (qwen2 with the R1 template) served from a local folder. Its
/// output head is untied: with tied random embeddings the model only repeats its last token ("\n").
/// </summary>
public sealed class ReasoningServer : IAsyncLifetime
{
    public InferenceServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var folder = Path.Combine(InferenceServer.CacheFolder, "r1-tiny");
        TinyModel.Create(folder, "qwen2", seed: 5, new TinyModelOptions(TieWordEmbeddings: false));
        Server = await InferenceServer.StartAsync(new Dictionary<string, string> { ["Inference:Model"] = folder });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class ReasoningTests(ReasoningServer reasoning) : IClassFixture<ReasoningServer>
{
    private InferenceServer Server => reasoning.Server;

    /// <summary>
    /// The split is checked against the raw text the same prompt produces through /v1/completions:
    /// thinking is what comes before &lt;/think&gt;, the answer what follows, streamed or not.
    /// </summary>
    [Fact]
    public async Task Thinking_goes_to_reasoning_content_and_the_answer_to_content()
    {
        Assert.True(Server.Host.Model.ChatTemplate.ReasoningModel);
        var messages = new[] { new { role = "user", content = "Should I buy ETH?" } };
        var rendered = Server.Host.Model.ChatTemplate.Render([new ChatMessage("user", "Should I buy ETH?")], addGenerationPrompt: true);
        var raw = await Server.PostAsync("v1/completions", new { model = Server.ModelName, prompt = rendered, max_tokens = 40, temperature = 0, ignore_eos = true });
        Assert.Equal(200, raw.Status);
        var text = raw.Body.GetProperty("choices")[0].GetProperty("text").GetString()!;
        var close = text.IndexOf("</think>", StringComparison.Ordinal);
        var expectedReasoning = (close >= 0 ? text[..close] : text).TrimStart();
        var expectedContent = close >= 0 ? text[(close + "</think>".Length)..].TrimStart() : "";

        var whole = await Server.PostAsync("v1/chat/completions", new { model = Server.ModelName, messages, max_tokens = 40, temperature = 0, ignore_eos = true });
        Assert.Equal(200, whole.Status);
        var message = whole.Body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(expectedReasoning, message.GetProperty("reasoning_content").GetString());
        Assert.Equal(expectedContent, message.GetProperty("content").GetString());
        Assert.Equal(raw.Body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            whole.Body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var events = await Sse.PostAsync(Server.Http, "v1/chat/completions", new { model = Server.ModelName, messages, max_tokens = 40, temperature = 0, ignore_eos = true, stream = true });
        string streamedReasoning = "", streamedContent = "";
        foreach (var e in events[..^1])
            foreach (var c in JsonDocument.Parse(e).RootElement.GetProperty("choices").EnumerateArray())
            {
                var delta = c.GetProperty("delta");
                if (delta.TryGetProperty("reasoning_content", out var r)) streamedReasoning += r.GetString();
                if (delta.TryGetProperty("content", out var t)) streamedContent += t.GetString();
            }
        Assert.Equal(expectedReasoning, streamedReasoning);
        Assert.Equal(expectedContent, streamedContent);
        Assert.NotEqual("", expectedReasoning + expectedContent);
    }
}

/// <summary>The splitter on its own, with the closing tag cut every possible way across deltas.</summary>
public sealed class ReasoningSplitterTests
{
    private const string Output = "\nThe chart shows higher lows.\n</think>\n\nBuy a small position.";

    [Fact]
    public void Every_chunking_gives_the_same_split()
    {
        for (var size = 1; size <= Output.Length; size++)
        {
            var splitter = new ReasoningSplitter(reasoningModel: true);
            string reasoning = "", content = "";
            for (var i = 0; i < Output.Length; i += size)
            {
                var (r, c) = splitter.Push(Output.Substring(i, Math.Min(size, Output.Length - i)));
                reasoning += r;
                content += c;
            }
            var (fr, fc) = splitter.Flush();
            Assert.Equal("The chart shows higher lows.\n", reasoning + fr);
            Assert.Equal("Buy a small position.", content + fc);
        }
    }

    [Fact]
    public void An_unclosed_think_is_all_reasoning_and_a_plain_model_is_all_content()
    {
        var thinking = new ReasoningSplitter(true);
        var (r1, c1) = thinking.Push("still thinking </thi");
        var (r2, c2) = thinking.Flush();
        Assert.Equal("still thinking </thi", r1 + r2);
        Assert.Equal("", c1 + c2);

        var plain = new ReasoningSplitter(false);
        Assert.Equal(("", "a </think> b"), plain.Push("a </think> b"));
    }
}
