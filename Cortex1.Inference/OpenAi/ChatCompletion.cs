using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cortex1.Inference.OpenAi;

/// <summary>A whole <c>chat.completion</c> answer.</summary>
public sealed record ChatCompletion(
    string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage)
{
    public string Object => "chat.completion";
    public string? SystemFingerprint => null;
}

public sealed record ChatChoice(int Index, AssistantMessage Message, string FinishReason)
{
    public JsonElement? Logprobs => null;
}

public sealed record AssistantMessage(
    string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReasoningContent)
{
    public string Role => "assistant";
    public string? Refusal => null;
}

/// <summary>One <c>chat.completion.chunk</c> of a stream; the final usage chunk has no choices.</summary>
public sealed record ChatCompletionChunk(
    string Id, long Created, string Model, IReadOnlyList<ChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage = null)
{
    public string Object => "chat.completion.chunk";
    public string? SystemFingerprint => null;
}

public sealed record ChunkChoice(int Index, Delta Delta, string? FinishReason)
{
    public JsonElement? Logprobs => null;
}

/// <summary>What a chunk adds; fields not sent in this chunk are left out, so the last one is <c>{}</c>.</summary>
public sealed record Delta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReasoningContent = null);

public sealed record Usage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
