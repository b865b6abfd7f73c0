using System.Buffers;

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

        // Top-k = 1 is greedy, ties to the lower id as ArgMax breaks them.
        if (options.TopK == 1) return ArgMax(l);

        // The draw walks the kept tokens in id order, not probability order. Logits that differ in the last bits (the
        // same sequence decoded alone or in a batch goes through different matmul kernels) reorder near-ties among
        // thousands of similar tokens, and a walk in probability order would then land on another token for the same
        // random number; in id order the same draw moves only as far as the probabilities do, so a seeded sequence
        // almost always samples the same tokens whatever it is batched with.
        var ids = ArrayPool<int>.Shared.Rent(l.Length);
        var weights = ArrayPool<double>.Shared.Rent(l.Length);
        try
        {
            var n = Collect(l, ids, weights);
            double sum = 0;
            for (var i = 0; i < n; i++) sum += weights[i];
            var r = _random.NextDouble() * sum;
            for (var i = 0; i < n; i++)
            {
                r -= weights[i];
                if (r <= 0) return ids[i];
            }
            return ids[n - 1];
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
            ArrayPool<double>.Shared.Return(weights);
        }
    }

    /// <summary>Logit buckets between the best logit and the floor: fine enough that a boundary bucket holds few tokens.</summary>
    const int Buckets = 4096;

    /// <summary>
    /// The tokens a draw chooses from, in id order, with their unnormalised probabilities: temperature, then the top-k
    /// tokens, then the smallest set of those whose probability reaches top-p (ranked by logit, ties to the lower id).
    /// The set is found without sorting the vocabulary: tokens fall into logit buckets, whole buckets are kept from the
    /// top while they fit, and only the bucket where a cut falls is sorted. A flat distribution (a random or barely
    /// trained model keeps most of a 100k vocabulary) then costs a few linear passes instead of sorting it.
    /// </summary>
    internal (int[] Ids, double[] Weights) Kept(float[] l)
    {
        var ids = new int[l.Length];
        var weights = new double[l.Length];
        var n = Collect(l, ids, weights);
        return (ids[..n], weights[..n]);
    }

    /// <summary>Writes <see cref="Kept"/>'s tokens and weights into the buffers (vocabulary-sized) and returns how many.</summary>
    int Collect(float[] l, Span<int> ids, Span<double> weights)
    {
        // Vocabulary-sized scratch comes from the pool: a fresh 100k-entry array per token would land on the large
        // object heap every time.
        var bucketOf = ArrayPool<int>.Shared.Rent(l.Length);
        var weight = ArrayPool<double>.Shared.Rent(l.Length);
        try
        {
            // Tokens more than 30·T below the best have probability < e^-30 relative to it: they are left out.
            var best = l.Max();
            var span = 30f * options.Temperature;
            var floor = best - span;
            var counts = new int[Buckets];
            var mass = new double[Buckets];
            var candidates = 0;
            for (var i = 0; i < l.Length; i++)
            {
                if (!(l[i] >= floor)) { bucketOf[i] = Out; continue; }   // NaN too: it must not poison the sum
                var b = Math.Min(Buckets - 1, (int)((best - l[i]) / span * Buckets));
                bucketOf[i] = b;
                weight[i] = Math.Exp((l[i] - best) / options.Temperature);
                counts[b]++;
                mass[b] += weight[i];
                candidates++;
            }

            // Top-k: whole buckets while they fit, then the best of the bucket where the k-th token falls.
            var (cut, taken) = Cut(counts, options.TopK > 0 ? Math.Min(options.TopK, candidates) : candidates);
            var boundary = Boundary(l, bucketOf, cut, taken);

            // Top-p within that set: the same walk over probability mass.
            if (options.TopP < 1f)
            {
                double total = 0;
                for (var b = 0; b < cut; b++) total += mass[b];
                foreach (var i in boundary) total += weight[i];
                var target = options.TopP * total;
                double acc = 0;
                var p = 0;
                while (p < cut && acc + mass[p] < target) acc += mass[p++];
                if (p < cut) (cut, boundary) = (p, Boundary(l, bucketOf, p, counts[p]));
                var m = 0;
                while (m < boundary.Count - 1 && acc + weight[boundary[m]] < target) acc += weight[boundary[m++]];
                boundary = boundary.GetRange(0, m + 1);
            }

            foreach (var i in boundary) bucketOf[i] = InBoundary;
            var n = 0;
            for (var i = 0; i < l.Length; i++)
                if (bucketOf[i] == InBoundary || (bucketOf[i] >= 0 && bucketOf[i] < cut)) { ids[n] = i; weights[n++] = weight[i]; }
            return n;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(bucketOf);
            ArrayPool<double>.Shared.Return(weight);
        }
    }

    /// <summary><c>bucketOf</c> marks: below the floor, and kept from the bucket where the cut falls.</summary>
    const int Out = -1, InBoundary = -2;

    /// <summary>The bucket where the first <paramref name="n"/> tokens (best first) end, and how many of it they take.</summary>
    static (int Bucket, int Taken) Cut(int[] counts, int n)
    {
        var before = 0;
        for (var b = 0; b < counts.Length; b++)
        {
            if (before + counts[b] >= n) return (b, n - before);
            before += counts[b];
        }
        return (counts.Length - 1, 0);
    }

    /// <summary>The first <paramref name="take"/> tokens of one bucket, by logit (ties to the lower id).</summary>
    static List<int> Boundary(float[] l, int[] bucketOf, int bucket, int take)
    {
        var ids = new List<int>();
        for (var i = 0; i < l.Length; i++) if (bucketOf[i] == bucket) ids.Add(i);
        ids.Sort((a, b) => l[b] != l[a] ? l[b].CompareTo(l[a]) : a.CompareTo(b));
        return ids.GetRange(0, Math.Min(take, ids.Count));
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
