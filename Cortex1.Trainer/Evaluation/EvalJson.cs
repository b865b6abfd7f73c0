using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cortex1.Trainer.Evaluation;

/// <summary>JSON of stored summaries: a metric with nothing to measure is NaN, written as the string "NaN" (valid jsonb).</summary>
public static class EvalJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };
}
