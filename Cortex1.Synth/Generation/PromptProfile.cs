using Cortex1.Domain;

namespace Cortex1.Synth.Generation;

/// <summary>
/// How much market data a prompt shows: the window's length, how many other chains beside the focus chain, and which
/// daily columns. The example's market context (what the teacher reads and the rewards check against) is cut to exactly
/// this, so nothing the answer cites lies outside the prompt.
/// <list type="bullet">
/// <item><c>standard</c> (default): 30 days, every chain with the same days, every daily column, the full rules
/// (<c>_rules.md</c>) — the real models' prompts.</item>
/// <item><c>compact</c>: 8 days (the fewest that give a 7-day change), no other chain except the one a cross-chain task
/// needs, the close, high, low and volume columns, the rules in one paragraph (<c>_rules_compact.md</c>, the same
/// sections), and the last day's values once more as <c>[metric] value</c> pairs above the derived metrics — for the baby
/// model, whose cost is its sequence length: a chat is ~1.5k of its tokens instead of ~4k, so pretraining and GRPO see
/// several times more chats. The pairs are there because a model that small learns to copy a value from after its
/// metric's name (<c>[price_growth_7d] 4.80%</c> → <c>4.80% [price_growth_7d]</c>) long before it learns to find a
/// cell by row and column.</item>
/// </list>
/// </summary>
public sealed record PromptProfile(string Name, int WindowDays, int MaxPeers, IReadOnlyList<string>? Columns, string RulesTemplate, bool LatestPairs = false)
{
    public const string StandardName = "standard";
    public const string CompactName = "compact";

    public static PromptProfile Standard { get; } = new(StandardName, 30, int.MaxValue, null, "_rules");

    public static PromptProfile Compact { get; } = new(CompactName, 8, 0,
        [MetricNames.CloseUsd, MetricNames.HighUsd, MetricNames.LowUsd, MetricNames.VolumeUsd], "_rules_compact", LatestPairs: true);

    public static IEnumerable<string> Names => [StandardName, CompactName];

    public static bool TryGet(string? name, out PromptProfile profile)
    {
        profile = (name ?? StandardName).ToLowerInvariant() switch
        {
            StandardName => Standard,
            CompactName => Compact,
            _ => null!,
        };
        return profile is not null;
    }

    public static PromptProfile Get(string? name) =>
        TryGet(name, out var p) ? p : throw new ArgumentException($"Unknown prompt profile '{name}'; use one of {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Other chains shown beside the focus chain: <see cref="MaxPeers"/>, but at least the one a cross-chain task compares with.</summary>
    public int PeersFor(TaskKind kind) => kind == TaskKind.CrossChainCorrelation ? Math.Max(1, MaxPeers) : MaxPeers;

    /// <summary>Whether a daily column is shown (null <see cref="Columns"/>: all).</summary>
    public bool Shows(string column) => Columns is null || Columns.Contains(column);

    /// <summary>
    /// A day cut to the profile's daily columns; metrics that are not table columns (the derived growth, volatility and
    /// correlation the prompt lists under the table, and the open) stay as in the standard profile.
    /// </summary>
    public MarketDay Cut(MarketDay day, IReadOnlyCollection<string> dailyColumns) =>
        Columns is null ? day : day with
        {
            Metrics = day.Metrics.Where(m => !dailyColumns.Contains(m.Key) || Shows(m.Key)).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal),
        };
}
