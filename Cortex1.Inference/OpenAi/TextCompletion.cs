using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cortex1.Inference.OpenAi;

/// <summary>A <c>text_completion</c>: the whole answer, or one chunk of a stream (same object name, as OpenAI sends it).</summary>
public sealed record TextCompletion(
    string Id, long Created, string Model, IReadOnlyList<TextChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    public string Object => "text_completion";
    public string? SystemFingerprint => null;
}

public sealed record TextChoice(string Text, int Index, string? FinishReason)
{
    public JsonElement? Logprobs => null;
}
