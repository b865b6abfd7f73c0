using Cortex1.Domain;

namespace Cortex1.Evaluation;

/// <summary>A model's answer to one prompt of a data set's split (the example carries the prompt's market window).</summary>
public sealed record EvalAnswer(TrainingExample Example, string Answer);

/// <summary>
/// How an evaluation scores: the cost of each trade in basis points of the notional, and the standard grid the
/// baselines are also scored on for every prompt (the focus asset at these horizons, random-walk intervals at this level).
/// </summary>
public sealed record EvalSettings(double CostBps = 10, IReadOnlyList<int>? StandardHorizons = null, double StandardLevel = 0.90)
{
    public IReadOnlyList<int> Horizons => StandardHorizons ?? [7, 30];
}
