using System.Text.Json.Serialization;

namespace Cortex1.Inference.OpenAi;

/// <summary>The body of <c>POST /v1/completions</c> (legacy text completions).</summary>
public sealed record CompletionRequest : SamplingRequest
{
    /// <summary>A string or an array of strings; each prompt gets <c>n</c> choices.</summary>
    [JsonConverter(typeof(StringOrArrayConverter))]
    public List<string>? Prompt { get; init; }

    /// <summary>Prepend the prompt to each choice's text, as OpenAI's <c>echo</c> does.</summary>
    public bool? Echo { get; init; }

    public string? Suffix { get; init; }

    public int? Logprobs { get; init; }
}
