using Cortex1.Rewards.AntiHacking;
using Cortex1.Rewards.Components;
using Cortex1.Rewards.Facts;
using Cortex1.Rewards.Text;
using Cortex1.Rewards.Truth;

namespace Cortex1.Rewards;

/// <summary>
/// The composite reward. Thread-safe: one instance may score from many threads at once.
/// </summary>
public sealed class RewardSystem(RewardWeights? weights = null)
{
    /// <summary>Text past this many characters is not scored (a report this long is already complete).</summary>
    public const int MaxScoredChars = 8_000;

    private static readonly (string Name, Func<Analysis, ComponentScore> Score)[] Components =
    [
        (RewardComponents.CalculationAccuracy, CalculationAccuracy.Score),
        (RewardComponents.ConfidenceIntervals, ConfidenceIntervals.Score),
        (RewardComponents.InvestmentInsight, InvestmentInsight.Score),
        (RewardComponents.CitationFormat, CitationFormat.Score),
        (RewardComponents.Structure, Structure.Score),
        (RewardComponents.Completeness, Completeness.Score),
        (RewardComponents.MetricCitation, MetricCitation.Score),
        (RewardComponents.HistoricalReference, HistoricalReference.Score),
    ];

    public static RewardSystem Default { get; } = new();

    public RewardWeights Weights { get; } = (weights ?? RewardWeights.Default).Validated();

    public RewardBreakdown Score(string completion, RewardContext context)
    {
        ArgumentNullException.ThrowIfNull(completion);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(context.Market);
        var scored = completion.Length > MaxScoredChars ? completion[..MaxScoredChars] : completion;
        var analysis = new Analysis(Document.Parse(scored), MarketFacts.For(context.Market), context);

        var components = new Dictionary<string, ComponentScore>(Components.Length, StringComparer.Ordinal);
        double weighted = 0, weightSum = 0;
        foreach (var (name, score) in Components)
        {
            var c = score(analysis);
            components[name] = c;
            double w = Weights.For(name);
            weighted += w * c.Score;
            weightSum += w;
        }
        var (hacking, why) = HackingGuard.Evaluate(analysis, completion.Length);
        var (truth, truthWhy) = TruthGate.Evaluate(analysis, Weights);
        double penalty = hacking * truth;
        if (truth < 0.9995) why = why == "none" ? $"truth ×{truth:0.00}" : $"{why}; truth ×{truth:0.00}";
        double total = Math.Round(Scoring.Clamp01(weighted / weightSum * penalty), 4);
        return new RewardBreakdown(total, components, Math.Round(penalty, 4), why)
        {
            Truth = Math.Round(truth, 4),
            TruthExplanation = truthWhy,
        };
    }
}
