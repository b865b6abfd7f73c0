namespace Cortex1.Rewards;

/// <summary>One component's score in [0, 1] and a short note of what it found.</summary>
public sealed record ComponentScore(double Score, string Explanation);

/// <summary>
/// The composite reward: <see cref="Total"/> is the weighted mean of the components times the
/// anti-hacking <see cref="Penalty"/> factor (1 = no penalty). Keys of <see cref="Components"/>
/// are the names in <see cref="RewardComponents"/>.
/// </summary>
public sealed record RewardBreakdown(
    double Total,
    IReadOnlyDictionary<string, ComponentScore> Components,
    double Penalty,
    string PenaltyExplanation);

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
