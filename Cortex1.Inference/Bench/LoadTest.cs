using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Cortex1.Inference.Bench;

/// <summary>
/// <c>loadtest</c>: drives N concurrent streaming chat clients against a running server and prints,
/// per concurrency level, time to first token (p50/p95) and decode speed per stream and in aggregate.
/// Generation ignores end-of-sequence (vLLM's <c>ignore_eos</c>) so every stream produces the same
/// number of tokens and rows compare like with like.
/// </summary>
public static class LoadTest
{
    private const string Usage = """
        usage: loadtest [--url http://127.0.0.1:5000] [--model ID] [--clients 1,8] [--requests 1]
                        [--max-tokens 64] [--temperature 0] [--prompt TEXT] [--api-key KEY | env CORTEX1_API_KEY]
          --clients      comma-separated concurrency levels; one table row each
          --requests     streaming requests per client, one after another
          --temperature  0 = greedy (the engine alone); 1 = an SDK's default, sampling included
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        LoadTestOptions options;
        try
        {
            options = LoadTestOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine(e.Message);
            stderr.WriteLine(Usage);
            return 2;
        }

        using var http = new HttpClient { BaseAddress = options.Url, Timeout = Timeout.InfiniteTimeSpan };
        if (options.ApiKey is not null)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        var model = options.Model ?? await FirstModelAsync(http);
        stdout.WriteLine($"load test: {options.Url} model {model}, {options.MaxTokens} tokens per stream, {options.Requests} request(s) per client");

        await StreamAsync(http, model, options, Stopwatch.GetTimestamp()); // Warm-up: first-call costs stay out of the table.
        stdout.WriteLine();
        stdout.WriteLine("| clients | streams | TTFT p50 ms | TTFT p95 ms | per-stream decode tok/s | aggregate decode tok/s (all decoding) | aggregate tok/s (wall) | errors |");
        stdout.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var clients in options.Clients)
            stdout.WriteLine(await RoundAsync(http, model, options, clients, stderr));
        return 0;
    }

    private static async Task<string> RoundAsync(HttpClient http, string model, LoadTestOptions options, int clients, TextWriter stderr)
    {
        var start = Stopwatch.GetTimestamp();
        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            var mine = new List<StreamResult>();
            for (var i = 0; i < options.Requests; i++) mine.Add(await StreamAsync(http, model, options, start));
            return mine;
        }));
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var ok = results.SelectMany(r => r).Where(r => r.Error is null).ToList();
        var errors = clients * options.Requests - ok.Count;
        foreach (var failed in results.SelectMany(r => r).Where(r => r.Error is not null).Take(3))
            stderr.WriteLine($"  stream failed: {failed.Error}");
        if (ok.Count == 0)
            return $"| {clients} | 0 | - | - | - | - | - | {errors} |";

        var ttft = ok.Select(r => (r.FirstToken - r.Sent) * 1000).Order().ToList();
        var perStream = ok.Where(r => r.DecodeSeconds > 0).Select(r => (r.Tokens - 1) / r.DecodeSeconds).DefaultIfEmpty(0).Average();
        // Aggregate decode: the tokens that arrived while every stream was decoding (after the last one's first
        // token, before the first one ended), over that window: steady-state throughput, prefills excluded.
        var (from, to) = (ok.Max(r => r.FirstToken), ok.Min(r => r.End));
        var aggregateDecode = to > from
            ? ok.Sum(r => r.TokenTimes.Count(t => t > from && t <= to)) / (to - from)
            : double.NaN;
        var aggregateWall = ok.Sum(r => r.Tokens) / wall;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {clients} | {ok.Count} | {Percentile(ttft, 0.50):F0} | {Percentile(ttft, 0.95):F0} | {perStream:F2} | {aggregateDecode:F2} | {aggregateWall:F2} | {errors} |");
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Times of one stream, in seconds on the round's clock; one entry in TokenTimes per token chunk.</summary>
    private sealed record StreamResult(double Sent, double FirstToken, double End, int Tokens, IReadOnlyList<double> TokenTimes, string? Error)
    {
        public double DecodeSeconds => End - FirstToken;

        public static StreamResult Failed(string error) => new(0, 0, 0, 0, [], error);
    }

    private static async Task<StreamResult> StreamAsync(HttpClient http, string model, LoadTestOptions options, long origin)
    {
        double Now() => Stopwatch.GetElapsedTime(origin).TotalSeconds;
        var sent = Now();
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = options.Prompt } },
            ["max_tokens"] = options.MaxTokens,
            ["temperature"] = options.Temperature,
            ["ignore_eos"] = true,
            ["stream"] = true,
            ["stream_options"] = new Dictionary<string, bool> { ["include_usage"] = true },
        });
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
                return StreamResult.Failed($"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var tokenTimes = new List<double>();
            var tokens = 0;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var data = line["data: ".Length..];
                if (data == "[DONE]") break;
                using var chunk = JsonDocument.Parse(data);
                if (chunk.RootElement.TryGetProperty("error", out var error))
                    return StreamResult.Failed(error.GetRawText());
                if (chunk.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                    tokens = usage.GetProperty("completion_tokens").GetInt32();
                if (IsToken(chunk.RootElement))
                    tokenTimes.Add(Now());
            }
            var end = Now();
            return tokenTimes.Count == 0
                ? StreamResult.Failed("no token arrived")
                : new StreamResult(sent, tokenTimes[0], end, tokens, tokenTimes, null);
        }
        catch (HttpRequestException e)
        {
            return StreamResult.Failed(e.Message);
        }
    }

    /// <summary>A chunk for a generated token: a delta with content or reasoning (even empty), not the opening role chunk.</summary>
    private static bool IsToken(JsonElement chunk) =>
        chunk.TryGetProperty("choices", out var choices) && choices.EnumerateArray().Any(c =>
            c.TryGetProperty("delta", out var delta) && !delta.TryGetProperty("role", out _) &&
            (delta.TryGetProperty("content", out _) || delta.TryGetProperty("reasoning_content", out _)));

    private static async Task<string> FirstModelAsync(HttpClient http)
    {
        using var models = JsonDocument.Parse(await http.GetStringAsync("v1/models"));
        return models.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
    }
}
