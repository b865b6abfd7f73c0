using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cortex1.Domain;

namespace Cortex1.Trainer.Evaluation;

/// <summary>Where the answers to evaluate come from: a model asked over HTTP, or the data set's own (teacher's) answers.</summary>
public interface IAnswerSource
{
    /// <summary>Where it answers from, as stored with the run (never a key).</summary>
    string Endpoint { get; }

    Task<string> AnswerAsync(TrainingExample example, CancellationToken ct);
}

/// <summary>
/// The answers the data set already holds: the teacher that wrote the split, evaluated like any model (<c>--model teacher</c>).
/// </summary>
public sealed class DatasetAnswers : IAnswerSource
{
    public const string ModelName = "teacher";
    public string Endpoint => "dataset";
    public Task<string> AnswerAsync(TrainingExample example, CancellationToken ct) => Task.FromResult(example.Answer);
}

/// <summary>
/// An OpenAI-compatible <c>/v1/chat/completions</c> server (our Inference, vLLM, llama.cpp, OpenRouter): the prompt as
/// the only user message, as Synth asked the teacher, greedy (temperature 0) with a fixed token limit, so a run is
/// repeatable on servers that decode deterministically. Reasoning sent apart (<c>reasoning_content</c>) or inline in
/// <c>&lt;think&gt;</c> tags is dropped: the answer is what is scored.
/// </summary>
public sealed partial class ChatEndpoint(HttpClient http, Uri baseUrl, string model, int maxTokens, string? apiKey) : IAnswerSource
{
    public string Endpoint => baseUrl.ToString();

    [GeneratedRegex(@"<think>.*?</think>", RegexOptions.Singleline)]
    private static partial Regex Think();

    public async Task<string> AnswerAsync(TrainingExample example, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl.ToString().TrimEnd('/') + "/chat/completions"));
        if (!string.IsNullOrEmpty(apiKey)) request.Headers.Authorization = new("Bearer", apiKey);
        // A sized body, not a chunked stream: some OpenAI-compatible servers read Content-Length only.
        request.Content = new StringContent(new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = example.Prompt }),
            ["temperature"] = 0,
            ["max_tokens"] = maxTokens,
            ["stream"] = false,
        }.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new EvalEndpointException($"{Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase} for {example.Id}: {Trim(body)}");
        var content = JsonNode.Parse(body)?["choices"]?[0]?["message"]?["content"]?.GetValue<string>()
            ?? throw new EvalEndpointException($"{Endpoint} sent no choices[0].message.content for {example.Id}: {Trim(body)}");
        return Think().Replace(content, "").Trim();
    }

    private static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;
}

/// <summary>The model's server refused or sent something that is not a chat completion.</summary>
public sealed class EvalEndpointException(string message) : Exception(message);
