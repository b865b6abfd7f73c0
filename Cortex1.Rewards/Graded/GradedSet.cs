using System.Reflection;
using System.Text.Json;
using Cortex1.Domain;

namespace Cortex1.Rewards.Graded;

/// <summary>
/// What a graded completion is. <see cref="High"/>, <see cref="Medium"/> and <see cref="Low"/> are honest reports of
/// falling quality; the rest are what a policy optimising the reward might learn instead of being right.
/// </summary>
public enum Quality
{
    /// <summary>Section headings stuffed with terms, citations and meaningless intervals.</summary>
    Spam,
    /// <summary>The task's prompt handed back as the answer.</summary>
    Prompt,
    /// <summary>The prompt's data tables under the right headings, nothing said about them.</summary>
    Dump,
    /// <summary>The high report with every section written three times.</summary>
    Repeated,
    /// <summary>A well-formed report on metrics the data does not have (TVL, exchange inflows, gas), cited as <c>[tvl_usd]</c>.</summary>
    Invented,
    /// <summary>The high report in perfect format with every figure wrong.</summary>
    Wrong,
    Low,
    /// <summary>A short plain-prose answer without headings whose few numbers are all right.</summary>
    Vague,
    Medium,
    High,
}

/// <summary>A hand-written completion of known quality and the real market data it was written from.</summary>
public sealed record GradedExample(string Name, TaskKind Kind, Quality Quality, string Completion, RewardContext Context);

public sealed record GradedResult(GradedExample Example, RewardBreakdown Breakdown);

/// <summary>What the graded set must show: per kind, the orderings of <see cref="GradedSet.Orderings"/>, high ≥ 0.75, low ≤ 0.30.</summary>
public sealed record GradedReport(IReadOnlyList<GradedResult> Results, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>
/// The graded set: examples in <c>Graded/Examples/{kind}.{quality}.md</c>, each naming its market
/// context (<c>&lt;!-- context: bull_2021 --&gt;</c> on the first line), contexts in <c>Graded/Contexts/*.json</c>
/// (real rows of the embedded CC0 daily market CSV). All are embedded resources.
/// </summary>
public static class GradedSet
{
    public const double HighFloor = 0.75;
    public const double LowCeiling = 0.30;

    private const string Prefix = "Cortex1.Rewards.Graded.";
    private static readonly Lazy<IReadOnlyList<GradedExample>> Examples = new(LoadExamples);

    public static IReadOnlyList<GradedExample> All => Examples.Value;

    /// <summary>
    /// Per task kind, every example of the first quality must score above every example of the second: honest reports
    /// in order of quality, and being right (even briefly, without format) above being confidently wrong or inventing data.
    /// </summary>
    public static IReadOnlyList<(Quality Better, Quality Worse)> Orderings { get; } =
    [
        (Quality.High, Quality.Medium), (Quality.Medium, Quality.Low),
        (Quality.Medium, Quality.Vague), (Quality.Vague, Quality.Wrong), (Quality.Vague, Quality.Invented),
        (Quality.Medium, Quality.Spam), (Quality.Medium, Quality.Dump), (Quality.Medium, Quality.Prompt), (Quality.Medium, Quality.Repeated),
    ];

    /// <summary>A context of the graded set by name (<c>bull_2021</c>, <c>crash_2020</c>).</summary>
    public static MarketContext Context(string name)
    {
        using var stream = Open($"{Prefix}Contexts.{name}.json");
        return JsonSerializer.Deserialize<MarketContext>(stream, RewardJson.Options)
            ?? throw new InvalidDataException($"Graded context '{name}' is empty.");
    }

    public static GradedReport Run(RewardSystem rewards)
    {
        var results = All.Select(e => new GradedResult(e, rewards.Score(e.Completion, e.Context))).ToList();
        var failures = new List<string>();
        foreach (var kind in results.GroupBy(r => r.Example.Kind))
        {
            var byQuality = kind.ToLookup(r => r.Example.Quality);
            foreach (var r in byQuality[Quality.High].Where(r => r.Breakdown.Total < HighFloor))
                failures.Add($"{r.Example.Name}: {r.Breakdown.Total:0.000} < {HighFloor}");
            foreach (var r in byQuality[Quality.Low].Where(r => r.Breakdown.Total > LowCeiling))
                failures.Add($"{r.Example.Name}: {r.Breakdown.Total:0.000} > {LowCeiling}");
            foreach (var (better, worse) in Orderings)
                foreach (var b in byQuality[better])
                    foreach (var w in byQuality[worse].Where(w => w.Breakdown.Total >= b.Breakdown.Total))
                        failures.Add($"{b.Example.Name} ({b.Breakdown.Total:0.000}) does not beat {w.Example.Name} ({w.Breakdown.Total:0.000})");
        }
        return new GradedReport(results, failures);
    }

    private static IReadOnlyList<GradedExample> LoadExamples()
    {
        var contexts = new Dictionary<string, MarketContext>(StringComparer.Ordinal);
        var examples = new List<GradedExample>();
        var names = typeof(GradedSet).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix + "Examples.", StringComparison.Ordinal) && n.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var resource in names)
        {
            // Cortex1.Rewards.Graded.Examples.market_analysis.high.md
            var parts = resource[(Prefix.Length + "Examples.".Length)..^".md".Length].Split('.');
            if (parts.Length != 2) throw new InvalidDataException($"Graded example '{resource}' is not named kind.quality.md.");
            var kind = Enum.Parse<TaskKind>(parts[0].Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
            var quality = Enum.Parse<Quality>(parts[1], ignoreCase: true);
            using var reader = new StreamReader(Open(resource));
            var first = reader.ReadLine() ?? "";
            const string marker = "<!-- context:";
            if (!first.StartsWith(marker, StringComparison.Ordinal))
                throw new InvalidDataException($"Graded example '{resource}' must start with '{marker} name -->'.");
            var contextName = first[marker.Length..].Replace("-->", "", StringComparison.Ordinal).Trim();
            if (!contexts.TryGetValue(contextName, out var market)) contexts[contextName] = market = Context(contextName);
            examples.Add(new GradedExample($"{parts[0]}.{parts[1]}", kind, quality, reader.ReadToEnd(), new RewardContext(market, kind)));
        }
        return examples;
    }

    private static Stream Open(string resource) =>
        typeof(GradedSet).Assembly.GetManifestResourceStream(resource)
        ?? throw new InvalidDataException($"Embedded resource '{resource}' is missing from {typeof(GradedSet).Assembly.GetName().Name}.");
}
