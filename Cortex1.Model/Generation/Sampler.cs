namespace Cortex1.Model.Generation;

/// <summary>
/// Picks the next token from fp32 logits on the CPU (vocab-sized arrays are cheap next to a forward). One Sampler per
/// sequence: its Random is seeded from the options, so a seeded sequence is reproducible whatever it is batched with.
/// </summary>
public sealed class Sampler(SamplingOptions options)
{
    readonly Random _random = options.Seed is int s ? new Random(s) : new Random();
    public SamplingOptions Options => options;

    public int Sample(float[] logits, IReadOnlyList<int> previousTokens)
    {
        var l = (float[])logits.Clone();
        ApplyPenalties(l, previousTokens);
        if (options.Temperature <= 0) return ArgMax(l);

        // Temperature, then keep the top-k, then the smallest set whose probability reaches top-p.
        // Tokens more than 30·T below the best have probability < e^-30 relative to it: leaving them out
        // changes nothing measurable and spares sorting a 150k vocabulary on every token.
        var best = l.Max();
        var floor = best - 30f * options.Temperature;
        var candidates = new List<int>();
        for (var i = 0; i < l.Length; i++) if (l[i] >= floor) candidates.Add(i);
        // Ties go to the lower id, as ArgMax does, so top_k = 1 is exactly greedy.
        candidates.Sort((a, b) => l[b] != l[a] ? l[b].CompareTo(l[a]) : a.CompareTo(b));
        var order = candidates;
        var keep = options.TopK > 0 ? Math.Min(options.TopK, order.Count) : order.Count;
        var max = l[order[0]];
        var probs = new double[keep];
        double sum = 0;
        for (var i = 0; i < keep; i++) { probs[i] = Math.Exp((l[order[i]] - max) / options.Temperature); sum += probs[i]; }
        if (options.TopP < 1f)
        {
            double acc = 0;
            for (var i = 0; i < keep; i++)
            {
                acc += probs[i] / sum;
                if (acc >= options.TopP) { keep = i + 1; break; }
            }
            sum = probs.Take(keep).Sum();
        }
        // The draw walks the kept tokens in id order, not probability order. Logits that differ in the last bits (the
        // same sequence decoded alone or in a batch goes through different matmul kernels) reorder near-ties among
        // thousands of similar tokens, and a walk in probability order would then land on another token for the same
        // random number; in id order the same draw moves only as far as the probabilities do, so a seeded sequence
        // samples the same tokens whatever it is batched with.
        var ids = order.GetRange(0, keep).ToArray();
        var weights = probs[..keep];
        Array.Sort(ids, weights);
        var r = _random.NextDouble() * sum;
        for (var i = 0; i < keep; i++)
        {
            r -= weights[i];
            if (r <= 0) return ids[i];
        }
        return ids[keep - 1];
    }

    void ApplyPenalties(float[] l, IReadOnlyList<int> previous)
    {
        if (previous.Count == 0) return;
        if (options.RepetitionPenalty == 1f && options.PresencePenalty == 0f && options.FrequencyPenalty == 0f) return;
        var counts = new Dictionary<int, int>();
        foreach (var t in previous) if (t >= 0 && t < l.Length) counts[t] = counts.GetValueOrDefault(t) + 1;
        foreach (var (t, c) in counts)
        {
            // HF's repetition penalty: divide positive logits, multiply negative ones (CTRL paper).
            if (options.RepetitionPenalty != 1f) l[t] = l[t] > 0 ? l[t] / options.RepetitionPenalty : l[t] * options.RepetitionPenalty;
            l[t] -= options.PresencePenalty + options.FrequencyPenalty * c;
        }
    }

    public static int ArgMax(float[] l)
    {
        var best = 0;
        for (var i = 1; i < l.Length; i++) if (l[i] > l[best]) best = i;
        return best;
    }
}
