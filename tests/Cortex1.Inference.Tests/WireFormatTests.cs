using System.Text.Json;

namespace Cortex1.Inference.Tests;

/// <summary>The bytes on the wire, checked field by field against what OpenAI sends (raw HTTP).</summary>
[Collection(SharedServerCollection.Name)]
public sealed class WireFormatTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    private object ChatBody(bool stream, int maxTokens = 6, int n = 1, bool includeUsage = false)
    {
        var body = new Dictionary<string, object>
        {
            ["model"] = Server.ModelName,
            ["messages"] = new[] { new { role = "user", content = "Rate the market today." } },
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["n"] = n,
            ["stream"] = stream,
        };
        if (includeUsage) body["stream_options"] = new { include_usage = true };
        return body;
    }

    [Fact]
    public async Task A_chat_stream_is_role_then_deltas_then_finish_then_usage_then_DONE()
    {
        var events = await Sse.PostAsync(Server.Http, "v1/chat/completions", ChatBody(stream: true, includeUsage: true));

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());

        var first = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("finish_reason").ValueKind);

        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        var usage = usageChunk.GetProperty("usage");

        var finishChunk = chunks[^2].GetProperty("choices")[0];
        Assert.Equal("{}", finishChunk.GetProperty("delta").GetRawText());
        var finish = finishChunk.GetProperty("finish_reason").GetString();
        Assert.Contains(finish, new[] { "stop", "length" });

        var whole = await Server.PostAsync("v1/chat/completions", ChatBody(stream: false));
        Assert.Equal(200, whole.Status);
        var text = string.Concat(chunks.Skip(1).SelectMany(c => c.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
        var message = whole.Body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(message.GetProperty("content").GetString(), text);
        Assert.Equal(whole.Body.GetProperty("usage").GetRawText(), usage.GetRawText());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Without_include_usage_no_usage_chunk_is_sent()
    {
        var events = await Sse.PostAsync(Server.Http, "v1/chat/completions", ChatBody(stream: true));
        Assert.Equal("[DONE]", events[^1]);
        Assert.All(events[..^1], e =>
        {
            var chunk = JsonDocument.Parse(e).RootElement;
            Assert.False(chunk.TryGetProperty("usage", out var u) && u.ValueKind != JsonValueKind.Null);
            Assert.Equal(1, chunk.GetProperty("choices").GetArrayLength());
        });
    }

    [Fact]
    public async Task A_whole_chat_completion_has_openai_fields()
    {
        var (status, body, response) = await Server.PostAsync("v1/chat/completions", ChatBody(stream: false, maxTokens: 3));
        Assert.Equal(200, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.True(body.GetProperty("created").GetInt64() > 1_700_000_000);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("reasoning_content", out _)); // not a reasoning model
    }

    [Fact]
    public async Task N_choices_are_indexed_sampled_apart_and_counted()
    {
        var body = new
        {
            model = Server.ModelName,
            messages = new[] { new { role = "user", content = "Pick a coin." } },
            max_tokens = 8, temperature = 1.0, seed = 5, n = 3, ignore_eos = true,
        };
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
        Assert.Equal(200, status);
        var choices = json.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.All(choices, c => Assert.Equal("length", c.GetProperty("finish_reason").GetString()));
        Assert.Equal(3 * 8, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var texts = choices.Select(c => c.GetProperty("message").GetProperty("content").GetString()).ToList();
        Assert.Equal(3, texts.Distinct().Count());

        // Streaming the same request gives the same three texts, each choice in its own chunks.
        var events = await Sse.PostAsync(Server.Http, "v1/chat/completions", new
        {
            body.model, body.messages, body.max_tokens, body.temperature, body.seed, body.n, body.ignore_eos, stream = true,
        });
        var streamed = new string[3];
        foreach (var e in events[..^1])
            foreach (var c in JsonDocument.Parse(e).RootElement.GetProperty("choices").EnumerateArray())
                if (c.GetProperty("delta").TryGetProperty("content", out var t))
                    streamed[c.GetProperty("index").GetInt32()] += t.GetString();
        Assert.Equal(texts, streamed);
    }

    /// <summary>
    /// top_k 1 and a tiny top_p leave one candidate per step, so the seed no longer matters; without them
    /// it does. (Compared across seeds rather than with greedy: bf16 logits tie often, and ties may break either way.)
    /// </summary>
    [Theory]
    [InlineData("top_k", 1.0)]
    [InlineData("top_p", 1e-6)]
    public async Task Top_k_and_top_p_truncate_sampling(string field, double value)
    {
        async Task<string> Run(int seed, bool truncate)
        {
            var body = new Dictionary<string, object>
            {
                ["model"] = Server.ModelName, ["messages"] = new[] { new { role = "user", content = "Which chain grew most?" } },
                ["max_tokens"] = 12, ["ignore_eos"] = true, ["temperature"] = 1, ["seed"] = seed,
            };
            if (truncate) body[field] = field == "top_k" ? 1 : value;
            var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
            Assert.Equal(200, status);
            return json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        }
        Assert.Equal(await Run(1, truncate: true), await Run(2, truncate: true));
        Assert.NotEqual(await Run(1, truncate: false), await Run(2, truncate: false));
    }

    [Fact]
    public async Task Max_completion_tokens_wins_over_max_tokens_and_ends_by_length()
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", new
        {
            model = Server.ModelName,
            messages = new[] { new { role = "user", content = "Go on." } },
            max_tokens = 20, max_completion_tokens = 5, temperature = 0, ignore_eos = true,
        });
        Assert.Equal(200, status);
        Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(5, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Text_completions_whole_streamed_and_echoed()
    {
        var body = new Dictionary<string, object>
        {
            ["model"] = Server.ModelName, ["prompt"] = new[] { "The market", "Bitcoin is" }, ["max_tokens"] = 6, ["temperature"] = 0, ["ignore_eos"] = true,
        };
        var (status, json, _) = await Server.PostAsync("v1/completions", body);
        Assert.Equal(200, status);
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.StartsWith("cmpl-", json.GetProperty("id").GetString());
        var texts = json.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToList();
        Assert.Equal(2, texts.Count);
        var model = Server.Host.Model;
        Assert.Equal(model.Tokenizer.Encode("The market").Length + model.Tokenizer.Encode("Bitcoin is").Length,
            json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(12, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        body["stream"] = true;
        var events = await Sse.PostAsync(Server.Http, "v1/completions", body);
        Assert.Equal("[DONE]", events[^1]);
        var streamed = new string[2];
        foreach (var e in events[..^1])
        {
            var chunk = JsonDocument.Parse(e).RootElement;
            Assert.Equal("text_completion", chunk.GetProperty("object").GetString());
            foreach (var c in chunk.GetProperty("choices").EnumerateArray()) streamed[c.GetProperty("index").GetInt32()] += c.GetProperty("text").GetString();
        }
        Assert.Equal(texts, streamed);

        body["stream"] = false;
        body["echo"] = true;
        var echoed = await Server.PostAsync("v1/completions", body);
        Assert.Equal("The market" + texts[0], echoed.Body.GetProperty("choices")[0].GetProperty("text").GetString());
    }
}
