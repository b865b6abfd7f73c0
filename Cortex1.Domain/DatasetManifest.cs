namespace Cortex1.Domain;

/// <summary>
/// <c>manifest.json</c> of a data set (<c>datasets/{name}/{version}/</c>): what is in it, where it came
/// from and how good it is. Counts are keyed by <see cref="MarketCondition"/> / <see cref="TaskKind"/> names.
/// </summary>
public sealed record DatasetManifest(
    string Name,
    string Version,
    string Teacher,
    double QualityGate,
    DateTimeOffset CreatedAt,
    DatasetSplit Train,
    DatasetSplit Eval,
    int Generated,
    int Rejected,
    int Duplicates,
    RewardStats AcceptedRewards,
    RewardStats RejectedRewards,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// One split: its file, its counts and the time range its windows cover. Eval windows start strictly
/// after the last train window ends, so nothing the model is evaluated on was seen in training.
/// </summary>
public sealed record DatasetSplit(
    string File,
    int Count,
    DateOnly? FirstDay,
    DateOnly? LastDay,
    IReadOnlyDictionary<string, int> ByCondition,
    IReadOnlyDictionary<string, int> ByKind);

/// <summary>Summary statistics of reward totals (all zero when there are none).</summary>
public sealed record RewardStats(int Count, double Mean, double Min, double Max, double P50, IReadOnlyDictionary<string, double> ComponentMeans)
{
    public static RewardStats Of(IReadOnlyList<ExampleReward> rewards)
    {
        if (rewards.Count == 0) return new RewardStats(0, 0, 0, 0, 0, new Dictionary<string, double>());
        var totals = rewards.Select(r => r.Total).Order().ToArray();
        var components = rewards.SelectMany(r => r.Components).GroupBy(c => c.Key)
            .ToDictionary(g => g.Key, g => Math.Round(g.Average(c => c.Value), 4));
        return new RewardStats(totals.Length, Math.Round(totals.Average(), 4), totals[0], totals[^1],
            totals[totals.Length / 2], components);
    }
}
