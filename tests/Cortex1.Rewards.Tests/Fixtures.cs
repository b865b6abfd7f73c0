using Cortex1.Domain;
using Cortex1.Rewards;
using Cortex1.Rewards.Graded;

namespace Cortex1.Rewards.Tests;

/// <summary>Real market windows from the embedded CSV and the graded examples written against them.</summary>
internal static class Fixtures
{
    public static MarketContext Bull { get; } = GradedSet.Context("bull_2021");
    public static MarketContext Crash { get; } = GradedSet.Context("crash_2020");

    public static RewardBreakdown Score(string text, TaskKind kind = TaskKind.MarketAnalysis, MarketContext? market = null) =>
        RewardSystem.Default.Score(text, new RewardContext(market ?? Bull, kind));

    public static double Component(string text, string component, TaskKind kind = TaskKind.MarketAnalysis, MarketContext? market = null) =>
        Score(text, kind, market).Components[component].Score;

    public static GradedExample Example(string name) => GradedSet.All.Single(e => e.Name == name);

    /// <summary>The high-quality market analysis: every number in it is right.</summary>
    public static string Perfect => Example("market_analysis.high").Completion;
}
