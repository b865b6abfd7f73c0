using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cortex1.Rewards;

/// <summary>
/// The JSON shape of reward inputs and outputs (camelCase, enums by name), shared by the graded set,
/// the CLI and whoever stores breakdowns, so a <c>MarketContext</c> round-trips the same everywhere.
/// </summary>
public static class RewardJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        // Explanations carry ×, ≥ and quotes; JSONL files are read by people too, and this is still valid JSON.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
