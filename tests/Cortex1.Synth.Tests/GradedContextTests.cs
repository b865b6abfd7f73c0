using System.Runtime.CompilerServices;
using System.Text.Json;
using Cortex1.Domain;
using Cortex1.Rewards;
using Cortex1.Rewards.Graded;
using Cortex1.Ingest.Metrics;

namespace Cortex1.Synth.Tests;

/// <summary>
/// The graded set's contexts are windows of the real embedded history with Ingest's derived metrics:
/// each committed JSON must equal the window sliced from <see cref="EmbeddedMarket"/>. Set
/// <c>CORTEX1_WRITE_GRADED_CONTEXTS=1</c> to (re)write them from the CSV, e.g. after adding a window here.
/// </summary>
public class GradedContextTests
{
    /// <summary>Name → chains and days: a bull run, a crash, a bear market, a sideways range and a sell-off with SOL.</summary>
    public static TheoryData<string, string[], string, string> Windows => new()
    {
        { "bull_2021", ["bitcoin", "ethereum", "solana"], "2021-01-10", "2021-02-08" },
        { "crash_2020", ["bitcoin", "ethereum"], "2020-02-20", "2020-03-20" },
        { "bear_2018", ["bitcoin", "ethereum"], "2018-11-10", "2018-12-09" },
        { "range_2019", ["bitcoin", "ethereum"], "2019-09-25", "2019-10-24" },
        { "selloff_2021", ["bitcoin", "ethereum", "solana"], "2021-05-05", "2021-06-03" },
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void Graded_context_is_the_real_window_of_the_embedded_history(string name, string[] chains, string start, string end)
    {
        var window = Slice(chains, DateOnly.Parse(start), DateOnly.Parse(end));
        if (Environment.GetEnvironmentVariable("CORTEX1_WRITE_GRADED_CONTEXTS") == "1")
            File.WriteAllText(Path.Combine(ContextsDirectory(), $"{name}.json"), JsonSerializer.Serialize(window, RewardJson.Options));

        var committed = GradedSet.Context(name);
        Assert.Equal(chains, committed.Series.Select(s => s.Chain));
        foreach (var (want, got) in window.Series.Zip(committed.Series))
        {
            Assert.Equal(want.Days.Select(d => d.Day), got.Days.Select(d => d.Day));
            foreach (var (w, g) in want.Days.Zip(got.Days))
            {
                Assert.Equal(w.Metrics.Keys.Order(), g.Metrics.Keys.Order());
                foreach (var (metric, v) in w.Metrics)
                    Assert.True(Math.Abs(v - g.Metrics[metric]) <= (DerivedMetrics.IsDerived(metric) ? 5.1e-7 : 1e-9 * Math.Abs(v)),
                        $"{name} {w.Chain} {w.Day} {metric}: CSV gives {v}, the context holds {g.Metrics[metric]}");
            }
        }
    }

    /// <summary>The window's days; derived metrics at the 6 decimals the graded contexts (and the prompts) show.</summary>
    private static MarketContext Slice(string[] chains, DateOnly start, DateOnly end) =>
        new(chains.Select(c => EmbeddedMarket.History.Series.Single(s => s.Chain == c))
            .Select(s => new MarketSeries(s.Chain, s.Days.Where(d => d.Day >= start && d.Day <= end)
                .Select(d => d with { Metrics = d.Metrics.ToDictionary(m => m.Key, m => DerivedMetrics.IsDerived(m.Key) ? Math.Round(m.Value, 6) : m.Value) })
                .ToList()))
            .ToList());

    private static string ContextsDirectory([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", "..", "Cortex1.Rewards", "Graded", "Contexts"));
}
