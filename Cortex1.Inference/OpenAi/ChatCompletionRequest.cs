using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cortex1.Inference.OpenAi;

/// <summary>The body of <c>POST /v1/chat/completions</c>, with OpenAI's field names and types.</summary>
public sealed record ChatCompletionRequest : SamplingRequest
{
    public List<ChatMessageDto>? Messages { get; init; }

    /// <summary>The newer name for <see cref="SamplingRequest.MaxTokens"/>; OpenAI's SDK sends this one.</summary>
    public int? MaxCompletionTokens { get; init; }

    /// <summary>Tool calling is not served; kept so a request that asks for it is refused, not silently ignored.</summary>
    public JsonElement? Tools { get; init; }

    public bool? Logprobs { get; init; }

    /// <summary>Only <c>{"type":"text"}</c> is served; JSON modes are refused rather than silently not enforced.</summary>
    public JsonElement? ResponseFormat { get; init; }
}

/// <summary>One message; <c>content</c> is a string or an array of text parts, as OpenAI accepts both.</summary>
public sealed record ChatMessageDto
{
    public string? Role { get; init; }

    [JsonConverter(typeof(MessageContentConverter))]
    public string? Content { get; init; }

    /// <summary>Earlier thinking of a reasoning model, sent back by clients that keep it.</summary>
    public string? ReasoningContent { get; init; }

    public string? Name { get; init; }
}

public sealed record StreamOptions
{
    public bool? IncludeUsage { get; init; }
}

/// <summary>Fields that chat and text completions share: model, length, sampling, stops, streaming.</summary>
public abstract record SamplingRequest
{
    public string? Model { get; init; }
    public int? MaxTokens { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public float? PresencePenalty { get; init; }
    public float? FrequencyPenalty { get; init; }
    public float? RepetitionPenalty { get; init; }
    public long? Seed { get; init; }
    public int? N { get; init; }

    /// <summary>Token id → bias; validated as OpenAI does, then refused (the sampler applies no biases) rather than ignored.</summary>
    public JsonElement? LogitBias { get; init; }

    [JsonConverter(typeof(StringOrArrayConverter))]
    public List<string>? Stop { get; init; }

    public bool? Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }

    /// <summary>vLLM's extension: keep generating past end-of-sequence (used by the load bench).</summary>
    public bool? IgnoreEos { get; init; }

    public string? User { get; init; }
}
