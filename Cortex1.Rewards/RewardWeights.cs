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

    // The truth gate (see Truth/TruthGate.cs and the README): how much each kind of false claim weighs
    // against the verified ones, and the share of false evidence at which the whole score starts and
    // stops falling. Not components: they shape the factor the composite is multiplied by.

    /// <summary>A number that contradicts the data: wrong arithmetic, a cited value its metric never had, a dated value off that day.</summary>
    public double TruthWrongClaim { get; init; } = 1.0;
    /// <summary>A citation of a metric the data does not have (<c>[tvl_usd]</c> in a price-only context).</summary>
    public double TruthInventedMetric { get; init; } = 1.0;
    /// <summary>A calculation whose operands are not in the data: arithmetic on invented numbers.</summary>
    public double TruthUngroundedCalculation { get; init; } = 0.5;
    /// <summary>A growth/average/ratio figure in prose that nothing in the data gives.</summary>
    public double TruthUngroundedFigure { get; init; } = 0.25;
    /// <summary>
    /// At most this many verified claims weigh against the false ones, so copying true rows of the data (a table, a dump)
    /// cannot dilute wrong claims below the tolerance: past it, every false claim costs.
    /// </summary>
    public double TruthVerifiedCap { get; init; } = 12;
    /// <summary>Share of false evidence a report may carry without cost (one slip in a long honest report).</summary>
    public double TruthTolerance { get; init; } = 0.10;
    /// <summary>Share of false evidence at which the factor reaches <see cref="TruthFloor"/>.</summary>
    public double TruthFloorAt { get; init; } = 0.50;
    /// <summary>The smallest factor: a report that is mostly false keeps this fraction of its score.</summary>
    public double TruthFloor { get; init; } = 0.05;

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
        foreach (var (name, w) in new[] { (nameof(TruthWrongClaim), TruthWrongClaim), (nameof(TruthInventedMetric), TruthInventedMetric),
                     (nameof(TruthUngroundedCalculation), TruthUngroundedCalculation), (nameof(TruthUngroundedFigure), TruthUngroundedFigure), (nameof(TruthVerifiedCap), TruthVerifiedCap) })
            if (!double.IsFinite(w) || w < 0)
                throw new ArgumentException($"Rewards:Weights: {name} must be a finite number ≥ 0, got {w}.");
        if (!(TruthTolerance >= 0 && TruthTolerance < TruthFloorAt && TruthFloorAt <= 1))
            throw new ArgumentException($"Rewards:Weights: need 0 ≤ TruthTolerance < TruthFloorAt ≤ 1, got {TruthTolerance} and {TruthFloorAt}.");
        if (!(TruthFloor is >= 0 and <= 1))
            throw new ArgumentException($"Rewards:Weights: TruthFloor must be in [0, 1], got {TruthFloor}.");
        return this;
    }
}
