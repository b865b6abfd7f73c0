namespace Cortex1.Trainer.Runs;

/// <summary>
/// The order a phase visits the data set in: a fresh seeded permutation each epoch (TRL's RandomSampler reshuffles
/// every pass), so steps do not follow the file order and SFT and GRPO do not both start at prompt 0. The k-th prompt
/// drawn depends only on (seed, phase, k), so a resumed run takes the same prompts it would have.
/// </summary>
public sealed class PromptOrder(int count, int seed, string phase)
{
    private readonly Dictionary<int, int[]> _epochs = [];

    /// <summary>The data-set indices of a step's prompts: draws step·n … step·n + n − 1.</summary>
    public IReadOnlyList<int> Batch(int step, int size) => [.. Enumerable.Range(step * size, size).Select(At)];

    public int At(int draw)
    {
        var epoch = draw / count;
        if (!_epochs.TryGetValue(epoch, out var order))
        {
            order = [.. Enumerable.Range(0, count)];
            // A stable per-(seed, phase, epoch) seed: string.GetHashCode is randomised per process, so hash by hand.
            var mixed = phase.Aggregate(seed * 31 + epoch * 1_000_003, (h, c) => unchecked(h * 131 + c));
            new Random(mixed).Shuffle(order);
            _epochs[epoch] = order;
        }
        return order[draw % count];
    }
}
