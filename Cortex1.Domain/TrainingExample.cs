using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cortex1.Domain;

/// <summary>
/// One line of a data set's <c>train.jsonl</c> / <c>eval.jsonl</c>: what the teacher was asked, how it
/// reasoned, what it answered, the market data the prompt was built from (so rewards can be
/// recomputed) and how the reward system scored the answer. Synth writes it; the Trainer reads it.
/// </summary>
public sealed record TrainingExample(
    string Id,
    TaskKind Kind,
    MarketCondition Condition,
    string Chain,
    DateOnly WindowStart,
    DateOnly WindowEnd,
    string Teacher,
    string Prompt,
    string Reasoning,
    string Answer,
    MarketContext Market,
    ExampleReward Reward,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>The reward breakdown of an answer: composite total, anti-hacking factor and each component's score.</summary>
public sealed record ExampleReward(
    double Total,
    double Penalty,
    string? PenaltyExplanation,
    IReadOnlyDictionary<string, double> Components);

/// <summary>The JSON shape of data-set files (camelCase, enums by name), shared by writer and readers.</summary>
public static class DatasetJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>One compact JSON line (no indentation, no trailing newline).</summary>
    public static string ToLine(TrainingExample example) => JsonSerializer.Serialize(example, Options);

    public static TrainingExample FromLine(string line) =>
        JsonSerializer.Deserialize<TrainingExample>(line, Options)
        ?? throw new JsonException("A data-set line is JSON null.");
}
