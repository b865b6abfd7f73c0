namespace Cortex1.Rewards;

/// <summary>
/// The composite reward. Thread-safe: one instance may score from many threads at once.
/// </summary>
public sealed class RewardSystem(RewardWeights? weights = null)
{
    /// <summary>Text past this many characters is not scored (a report this long is already complete).</summary>
    public const int MaxScoredChars = 8_000;

    public static RewardSystem Default { get; } = new();

    public RewardWeights Weights { get; } = (weights ?? RewardWeights.Default).Validated();

    public RewardBreakdown Score(string completion, RewardContext context)
    {
        ArgumentNullException.ThrowIfNull(completion);
        ArgumentNullException.ThrowIfNull(context);
        throw new NotImplementedException("Scoring lands in the next commit; the API above is final.");
    }
}
