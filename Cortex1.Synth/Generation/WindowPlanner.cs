using Cortex1.Domain;
using Cortex1.Synth.Prompts;

namespace Cortex1.Synth.Generation;

/// <summary>
/// Turns the stored history into the run's list of tasks, the same list every time for the same
/// data, size and seed (so a resumed run knows exactly what is missing):
/// <list type="bullet">
/// <item>every window is the profile's days (<see cref="WindowDays"/> in the standard profile) of one chain, consecutive, labelled with that chain's condition on its last day;</item>
/// <item>time is cut once: train windows end on or before the cut, eval windows start after it, so eval is strictly later;</item>
/// <item>tasks go round-robin over task kinds and, per kind, over conditions, so both are balanced as far as the data allows.</item>
/// </list>
/// </summary>
public static class WindowPlanner
{
    public const int WindowDays = 30;

    /// <summary>A window of <paramref name="Series"/> ending at <paramref name="EndIndex"/>; <paramref name="History"/> is where its peers come from (the stored one, or a <see cref="HistoryVariant"/>'s copy).</summary>
    private sealed record Candidate(MarketSeries Series, int EndIndex, MarketCondition Condition, int Days, MarketHistory History)
    {
        public DateOnly End => Series.Days[EndIndex].Day;
        public DateOnly Start => Series.Days[EndIndex - Days + 1].Day;
    }

    /// <summary>The planned tasks and the cut: train windows end on or before <c>Cut</c>, eval windows start after it.</summary>
    public sealed record Plan(IReadOnlyList<SynthTask> Tasks, DateOnly Cut);

    /// <param name="variants">Copies of the history (<see cref="HistoryVariant"/>) whose windows join the train pool, each window
    /// of a copy only where its original is a train window; the cut and the eval split are the stored history's alone.</param>
    public static Plan Build(MarketHistory history, int trainTasks, int evalTasks, int seed, PromptProfile? profile = null,
        IReadOnlyList<HistoryVariant>? variants = null)
    {
        profile ??= PromptProfile.Standard;
        var candidates = history.Series.SelectMany(s => Candidates(s, history, profile.WindowDays)).ToList();
        if (candidates.Count == 0)
            throw new InvalidOperationException($"No window of {profile.WindowDays} consecutive labelled days in the stored market data.");

        var ends = candidates.Select(c => c.End).Order().ToList();
        var cut = ends[(int)Math.Floor((ends.Count - 1) * (1 - DatasetSizes.EvalFraction))];
        var train = candidates.Where(c => c.End <= cut).ToList();
        foreach (var variant in variants ?? [])
        {
            var copy = variant.Apply(history);
            train.AddRange(copy.Series.SelectMany(s => Candidates(s, copy, profile.WindowDays)).Where(c => variant.Original(c.End) <= cut));
        }
        var eval = candidates.Where(c => c.Start > cut).ToList();

        var tasks = new List<SynthTask>();
        tasks.AddRange(Pick(train, Split.Train, trainTasks, seed, profile));
        tasks.AddRange(Pick(eval, Split.Eval, evalTasks, seed, profile));
        return new Plan(tasks, cut);
    }

    private static IEnumerable<Candidate> Candidates(MarketSeries s, MarketHistory history, int days)
    {
        for (var i = days - 1; i < s.Days.Count; i++)
        {
            // Consecutive days only: a gap would make "7 days ago" mean something else.
            if (s.Days[i].Day.DayNumber - s.Days[i - days + 1].Day.DayNumber != days - 1) continue;
            if (!history.Labels.TryGetValue((s.Chain, s.Days[i].Day), out var condition)) continue;
            yield return new Candidate(s, i, condition, days, history);
        }
    }

    private static IEnumerable<SynthTask> Pick(List<Candidate> pool, Split split, int count, int seed, PromptProfile profile)
    {
        var kinds = Enum.GetValues<TaskKind>();
        var conditions = Enum.GetValues<MarketCondition>();
        // One shuffled queue per (kind, condition); each kind shuffles with its own seed so kinds see different windows.
        var queues = new Dictionary<(TaskKind, MarketCondition), Queue<Candidate>>();
        foreach (var kind in kinds)
            foreach (var condition in conditions)
            {
                var bucket = pool.Where(c => c.Condition == condition).OrderBy(c => c.Series.Chain, StringComparer.Ordinal).ThenBy(c => c.End).ToList();
                var random = new Random(StableHash.Of($"{seed}/{kind}/{condition}/{split}"));
                queues[(kind, condition)] = new Queue<Candidate>(bucket.OrderBy(_ => random.Next()));
            }

        var pointer = kinds.ToDictionary(k => k, k => (int)k % conditions.Length);
        var picked = 0;
        var exhausted = new HashSet<TaskKind>();
        while (picked < count && exhausted.Count < kinds.Length)
        {
            foreach (var kind in kinds)
            {
                if (picked >= count) break;
                if (exhausted.Contains(kind)) continue;
                SynthTask? task = null;
                for (var tried = 0; tried < conditions.Length && task is null; tried++)
                {
                    var condition = conditions[pointer[kind]];
                    pointer[kind] = (pointer[kind] + 1) % conditions.Length;
                    var queue = queues[(kind, condition)];
                    while (task is null && queue.TryDequeue(out var c))
                        task = Build(kind, split, c, profile);
                }
                if (task is null) { exhausted.Add(kind); continue; }
                picked++;
                yield return task;
            }
        }
    }

    /// <summary>
    /// The focus chain's window plus the other chains that have all the same days (the profile's first
    /// <see cref="PromptProfile.PeersFor"/> by name), each day cut to the profile's columns; null when the kind cannot use it.
    /// </summary>
    private static SynthTask? Build(TaskKind kind, Split split, Candidate c, PromptProfile profile)
    {
        var focus = new MarketSeries(c.Series.Chain, [.. c.Series.Days.Skip(c.EndIndex - c.Days + 1).Take(c.Days)]);
        var others = c.History.Series.Where(s => s.Chain != c.Series.Chain)
            .Select(s => new MarketSeries(s.Chain, [.. s.Days.Where(d => d.Day >= c.Start && d.Day <= c.End)]))
            .Where(s => s.Days.Count == c.Days)
            .OrderBy(s => s.Chain, StringComparer.Ordinal)
            .Take(profile.PeersFor(kind));
        var market = new MarketContext([.. new[] { focus }.Concat(others)
            .Select(s => new MarketSeries(s.Chain, [.. s.Days.Select(d => profile.Cut(d, PromptBuilder.DailyColumns))]))]);
        if (kind == TaskKind.CrossChainCorrelation && market.Series.Count < 2) return null;
        return new SynthTask(kind, c.Condition, c.Series.Chain, split, market, profile);
    }
}
