using System.Text;
using System.Text.RegularExpressions;
using Cortex1.Domain;
using Cortex1.Rewards;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Offline;

namespace Cortex1.Synth.Prompts;

/// <summary>
/// Fills the task's template (<c>Prompts/Templates/{kind}.md</c>, embedded) with the window's data:
/// a daily table per chain, the latest derived metrics under the names the answer must cite, and the
/// shared rules (<c>_rules.md</c>) that ask for the sections the reward system checks.
/// </summary>
public static partial class PromptBuilder
{
    private const string ResourcePrefix = "Cortex1.Synth.Prompts.Templates.";

    /// <summary>Raw daily columns shown in the table, in this order when present.</summary>
    public static readonly IReadOnlyList<string> DailyColumns =
    [
        MetricNames.CloseUsd, MetricNames.HighUsd, MetricNames.LowUsd, MetricNames.VolumeUsd, MetricNames.MarketCapUsd,
        MetricNames.DailyTransactions, MetricNames.UniqueUsers, MetricNames.TransferVolume, MetricNames.AvgTransactionValue,
        MetricNames.TotalFees, MetricNames.SuccessRate,
    ];

    private static readonly Dictionary<string, string> Templates = LoadTemplates();

    public static string Build(SynthTask task)
    {
        var values = new Dictionary<string, string>
        {
            ["name"] = ChainNames.Name(task.Chain),
            ["ticker"] = ChainNames.Ticker(task.Chain),
            ["chain"] = task.Chain,
            ["days"] = task.Focus.Days.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["start"] = Numbers.Day(task.Start),
            ["end"] = Numbers.Day(task.End),
            ["peers"] = task.Peers.Any() ? string.Join(" and ", task.Peers.Select(p => $"{ChainNames.Name(p.Chain)} ({ChainNames.Ticker(p.Chain)})")) : "the other chains",
            ["market_data"] = MarketData(task.Market, (task.Profile ?? PromptProfile.Standard).LatestPairs),
            ["sections"] = string.Join("\n", ReportSections.For(task.Kind).Select((s, i) => $"{i + 1}. {s}")),
            ["metrics"] = string.Join(", ", task.Market.MetricNames.Order(StringComparer.Ordinal)),
        };
        values["rules"] = Fill(Template((task.Profile ?? PromptProfile.Standard).RulesTemplate), values);
        return Fill(Template(SynthTask.KindName(task.Kind)), values).Trim();
    }

    private static string Template(string name) =>
        Templates.TryGetValue(name, out var t) ? t : throw new InvalidOperationException($"No prompt template '{name}.md' is embedded.");

    private static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var v)
            ? v
            : throw new InvalidOperationException($"Prompt template uses unknown placeholder {{{{{m.Groups[1].Value}}}}}."));

    private static string MarketData(MarketContext market, bool latestPairs)
    {
        var b = new StringBuilder();
        foreach (var s in market.Series)
        {
            var columns = DailyColumns.Where(c => s.Days.Any(d => d.Get(c) is not null)).ToList();
            b.AppendLine($"### {ChainNames.Name(s.Chain)} ({ChainNames.Ticker(s.Chain)}), daily, {Numbers.Day(s.Start)} to {Numbers.Day(s.End)}");
            b.AppendLine($"| date | {string.Join(" | ", columns)} |");
            b.AppendLine($"|---|{string.Concat(columns.Select(_ => "---|"))}");
            foreach (var d in s.Days)
                b.AppendLine($"| {Numbers.Day(d.Day)} | {string.Join(" | ", columns.Select(c => d.Get(c) is { } v ? Numbers.Value(v) : "–"))} |");
            if (latestPairs && columns.Where(c => s.Last.Get(c) is not null).Select(c => $"[{c}] {Numbers.Value(s.Last.Get(c)!.Value)}").ToList() is { Count: > 0 } latest)
                b.AppendLine($"Latest on {Numbers.Day(s.End)}: {string.Join(" · ", latest)}");
            var derived = s.Last.Metrics.Where(m => !DailyColumns.Contains(m.Key) && m.Key != MetricNames.OpenUsd)
                .OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => $"[{m.Key}] {Derived(m.Key, m.Value)}").ToList();
            if (derived.Count > 0)
                b.AppendLine($"Derived metrics on {Numbers.Day(s.End)}: {string.Join(" · ", derived)}");
            b.AppendLine();
        }
        return b.ToString().TrimEnd();
    }

    // Growth and volatility read as percents; correlations stay coefficients.
    private static string Derived(string metric, double value) =>
        metric.Contains("correlation", StringComparison.Ordinal) ? Numbers.Ratio(value) : Numbers.Percent(value);

    private static Dictionary<string, string> LoadTemplates()
    {
        var asm = typeof(PromptBuilder).Assembly;
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".md", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(asm.GetManifestResourceStream(name)!);
            templates[name[ResourcePrefix.Length..^3]] = reader.ReadToEnd();
        }
        return templates;
    }

    [GeneratedRegex(@"\{\{([a-z_]+)\}\}")]
    private static partial Regex Placeholder();
}
