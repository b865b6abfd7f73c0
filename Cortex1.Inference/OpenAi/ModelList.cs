using System.Text.Json.Serialization;

namespace Cortex1.Inference.OpenAi;

/// <summary>The answer of <c>GET /v1/models</c>.</summary>
public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    public string Object => "list";
}

/// <summary>One served model: the base model, or a LoRA adapter whose <c>parent</c> is the base.</summary>
public sealed record ModelCard(
    string Id, long Created,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Parent = null)
{
    public string Object => "model";
    public string OwnedBy => "cortex1";
}
