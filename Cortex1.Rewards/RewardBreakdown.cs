namespace Cortex1.Rewards;

/// <summary>One component's score in [0, 1] and a short note of what it found.</summary>
public sealed record ComponentScore(double Score, string Explanation);

/// <summary>
/// The composite reward: <see cref="Total"/> is the weighted mean of the components times the
/// <see cref="Penalty"/> factor (1 = no penalty), which is the anti-hacking factor times the truth
/// gate's <see cref="Truth"/> factor, so every consumer of the penalty sees both. Keys of
/// <see cref="Components"/> are the names in <see cref="RewardComponents"/>.
/// </summary>
public sealed record RewardBreakdown(
    double Total,
    IReadOnlyDictionary<string, ComponentScore> Components,
    double Penalty,
    string PenaltyExplanation)
{
    /// <summary>The truth gate's factor alone (1 = every checkable claim holds, within the tolerance).</summary>
    public double Truth { get; init; } = 1;
    /// <summary>What the truth gate counted: verified, wrong, invented and ungrounded claims.</summary>
    public string TruthExplanation { get; init; } = "none";
}

/// <summary>Stable component names: breakdown keys, JSON keys and configuration keys alike.</summary>
public static class RewardComponents
{
    public const string CalculationAccuracy = "calculation_accuracy";
    public const string ConfidenceIntervals = "confidence_intervals";
    public const string InvestmentInsight = "investment_insight";
    public const string CitationFormat = "citation_format";
    public const string Structure = "structure";
    public const string Completeness = "completeness";
    public const string MetricCitation = "metric_citation";
    public const string HistoricalReference = "historical_reference";

    /// <summary>All eight, in the order the breakdown lists them.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        CalculationAccuracy, ConfidenceIntervals, InvestmentInsight, CitationFormat,
        Structure, Completeness, MetricCitation, HistoricalReference,
    ];
}
