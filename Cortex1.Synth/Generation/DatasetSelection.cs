using Cortex1.Domain;

namespace Cortex1.Synth.Generation;

/// <summary>Which stored examples go into the data set, and why the others did not.</summary>
public sealed record DatasetSelection(IReadOnlyList<StoredExample> Train, IReadOnlyList<StoredExample> Eval, int Rejected, int Duplicates)
{
    /// <summary>
    /// Accepted examples only, exact duplicate answers dropped (first key wins), then per split a
    /// round-robin over task kinds and, within a kind, over conditions up to the split's target — so
    /// the same rows always give the same selection, however the run was interrupted.
    /// </summary>
    public static DatasetSelection From(IReadOnlyList<StoredExample> rows, int trainTarget, int evalTarget)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = 0;
        var unique = new List<StoredExample>();
        foreach (var row in rows.Where(r => r.Accepted).OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (seen.Add(row.AnswerHash)) unique.Add(row);
            else duplicates++;
        }
        var train = Balance(unique.Where(r => r.Split == Split.Train), trainTarget);
        var eval = Balance(unique.Where(r => r.Split == Split.Eval), evalTarget);
        if (train.Count > 0 && eval.Count > 0 && eval.Min(e => e.WindowStart) <= train.Max(t => t.WindowEnd))
            throw new InvalidOperationException("An eval window starts before a train window ends; the split would leak.");
        return new DatasetSelection(train, eval, rows.Count(r => !r.Accepted), duplicates);
    }

    private static List<StoredExample> Balance(IEnumerable<StoredExample> rows, int target)
    {
        var byKind = rows.GroupBy(r => r.Kind).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key, g => g.GroupBy(r => r.Condition).OrderBy(c => c.Key)
                .Select(c => new Queue<StoredExample>(c.OrderBy(r => r.Key, StringComparer.Ordinal))).ToList());
        var pointer = byKind.Keys.ToDictionary(k => k, _ => 0);
        var picked = new List<StoredExample>();
        var progress = true;
        while (picked.Count < target && progress)
        {
            progress = false;
            foreach (var (kind, queues) in byKind)
            {
                if (picked.Count >= target) break;
                for (var tried = 0; tried < queues.Count; tried++)
                {
                    var queue = queues[pointer[kind]];
                    pointer[kind] = (pointer[kind] + 1) % queues.Count;
                    if (!queue.TryDequeue(out var row)) continue;
                    picked.Add(row);
                    progress = true;
                    break;
                }
            }
        }
        return [.. picked.OrderBy(r => r.WindowEnd).ThenBy(r => r.Key, StringComparer.Ordinal)];
    }

    public static IReadOnlyDictionary<string, int> CountBy<T>(IEnumerable<StoredExample> rows, Func<StoredExample, T> key) where T : notnull =>
        rows.GroupBy(key).OrderBy(g => g.Key.ToString(), StringComparer.Ordinal).ToDictionary(g => g.Key.ToString()!, g => g.Count());
}
