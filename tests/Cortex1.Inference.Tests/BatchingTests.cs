using System.Text.Json;

namespace Cortex1.Inference.Tests;

/// <summary>Continuous batching: concurrent requests share decode steps and get exactly what they would alone.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class BatchingTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    private object Body(string prompt, int maxTokens) => new
    {
        model = Server.ModelName,
        messages = new[] { new { role = "user", content = prompt } },
        max_tokens = maxTokens, temperature = 0, ignore_eos = true,
    };

    private async Task<string> GreedyAsync(string prompt, int maxTokens)
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", Body(prompt, maxTokens));
        Assert.Equal(200, status);
        return json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    [Fact]
    public async Task Batched_serving_returns_the_same_greedy_text_as_serving_alone()
    {
        // Different prompt lengths and different lengths to generate, so sequences join and leave mid-batch.
        (string Prompt, int Tokens)[] requests =
        [
            ("What is the outlook for ETH?", 40),
            ("Explain funding rates in perpetual futures to a new trader, step by step.", 24),
            ("BTC?", 48),
            ("Compare Solana and Avalanche by fees, throughput and developer activity.", 32),
        ];
        var alone = new List<string>();
        foreach (var (prompt, tokens) in requests) alone.Add(await GreedyAsync(prompt, tokens));

        using var metrics = new MetricRecorder(Server);
        var together = await Task.WhenAll(requests.Select(r => GreedyAsync(r.Prompt, r.Tokens)));

        Assert.Equal(alone, together);
        Assert.True(metrics.Values("cortex1.inference.batch_size").DefaultIfEmpty(0).Max() >= 2,
            "the concurrent requests were never decoded in one batch");
    }

    [Fact]
    public async Task A_late_request_joins_a_running_batch()
    {
        using var metrics = new MetricRecorder(Server);
        using var longStream = await Sse.OpenAsync(Server.Http, "v1/chat/completions",
            new Dictionary<string, object>(ToDictionary(Body("Write a long market report.", 400))) { ["stream"] = true });
        using var reader = new StreamReader(await longStream.Content.ReadAsStreamAsync());
        await Streams.ReadUntilFirstTokenAsync(reader);

        // The long sequence is decoding; a short one arrives, joins it, is served and leaves.
        await GreedyAsync("Quick: BTC up or down?", 4);
        var remaining = await reader.ReadToEndAsync();
        Assert.True(remaining.Contains("data: [DONE]", StringComparison.Ordinal), remaining[^Math.Min(600, remaining.Length)..]);
        Assert.Contains(2.0, metrics.Values("cortex1.inference.batch_size"));
    }

    [Fact]
    public async Task The_choices_of_one_request_are_prefilled_in_one_forward()
    {
        // n choices are queued as one unit, so the idle scheduler admits them together and prefills them at once.
        using var metrics = new MetricRecorder(Server);
        var body = new
        {
            model = Server.ModelName,
            messages = new[] { new { role = "user", content = "ETH or SOL this week?" } },
            max_tokens = 3, n = 3, temperature = 0.8, seed = 5,
        };
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
        Assert.Equal(200, status);
        Assert.Equal(3, json.GetProperty("choices").GetArrayLength());
        Assert.Contains(3.0, metrics.Values("cortex1.inference.prefill_batch_size"));
    }

    [Fact]
    public async Task The_choices_of_a_long_prompt_share_one_prefill_within_the_budget()
    {
        // ~2,600 prompt tokens: three separate copies would pass the default 4,096-token prefill budget, but n choices
        // are one prompt run once (PrefillBudget counts a repeat of the previous prompt as free), so all three go in.
        using var metrics = new MetricRecorder(Server);
        var body = new
        {
            model = Server.ModelName,
            messages = new[] { new { role = "user", content = string.Concat(Enumerable.Repeat("BTC ", 2600)) } },
            max_tokens = 2, n = 3, temperature = 0.8, seed = 5,
        };
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
        Assert.Equal(200, status);
        Assert.True(json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > Cortex1.Model.Generation.PrefillBudget.DefaultMaxTokens / 2);
        Assert.Contains(3.0, metrics.Values("cortex1.inference.prefill_batch_size"));
    }

    private static Dictionary<string, object> ToDictionary(object body) =>
        JsonSerializer.Deserialize<Dictionary<string, object>>(JsonSerializer.Serialize(body))!;
}
