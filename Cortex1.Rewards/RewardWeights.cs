namespace Cortex1.Rewards;

/// <summary>
/// Composite weights (services bind them from the configuration section <c>Rewards:Weights</c>,
/// e.g. <c>Rewards__Weights__CalculationAccuracy=0.3</c>). Weights need not sum to 1: the
/// composite divides by their sum.
/// </summary>
public sealed record RewardWeights
{
    public double CalculationAccuracy { get; init; } = 0.25;
    public double ConfidenceIntervals { get; init; } = 0.15;
    public double InvestmentInsight { get; init; } = 0.20;
    public double CitationFormat { get; init; } = 0.10;
    public double Structure { get; init; } = 0.10;
    public double Completeness { get; init; } = 0.10;
    public double MetricCitation { get; init; } = 0.05;
    public double HistoricalReference { get; init; } = 0.05;

    public static RewardWeights Default { get; } = new();

    /// <summary>The weight of a component by its <see cref="RewardComponents"/> name.</summary>
    public double For(string component) => component switch
    {
        RewardComponents.CalculationAccuracy => CalculationAccuracy,
        RewardComponents.ConfidenceIntervals => ConfidenceIntervals,
        RewardComponents.InvestmentInsight => InvestmentInsight,
        RewardComponents.CitationFormat => CitationFormat,
        RewardComponents.Structure => Structure,
        RewardComponents.Completeness => Completeness,
        RewardComponents.MetricCitation => MetricCitation,
        RewardComponents.HistoricalReference => HistoricalReference,
        _ => throw new ArgumentException($"Unknown reward component '{component}'.", nameof(component)),
    };

    /// <summary>Throws a clear error for negative, non-finite or all-zero weights.</summary>
    public RewardWeights Validated()
    {
        double sum = 0;
        foreach (var name in RewardComponents.All)
        {
            var w = For(name);
            if (!double.IsFinite(w) || w < 0)
                throw new ArgumentException($"Rewards:Weights: weight of {name} must be a finite number ≥ 0, got {w}.");
            sum += w;
        }
        if (sum <= 0) throw new ArgumentException($"Rewards:Weights: at least one weight must be > 0.");
        return this;
    }
}
