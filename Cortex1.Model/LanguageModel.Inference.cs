using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model;

/// <summary>Inference: each sequence extends its own KV cache; many sequences share one forward.</summary>
public sealed partial class LanguageModel
{
    /// <summary>A new, empty cache for one sequence; it runs with `adapter` (null = the base model).</summary>
    public KvCache NewCache(string? adapter = null)
    {
        _adapters.Require(adapter);
        return new KvCache(Config.NumLayers, Config.NumKvHeads, Config.HeadDim, DType, Device, adapter);
    }

    /// <summary>Runs `tokens` through the model after what the cache holds; returns the last position's logits (fp32).</summary>
    public float[] Prefill(KvCache cache, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length == 0) throw new ArgumentException("Prefill needs at least one token.", nameof(tokens));
        return Extend([cache], [tokens.ToArray()])[0];
    }

    /// <summary>
    /// One new token for each of B sequences in ONE forward: projections and MLP run on [B, hidden] (weights read once);
    /// attention runs per sequence over its own cache, so sequences of any lengths (and adapters) share a step.
    /// </summary>
    public float[][] DecodeStep(IReadOnlyList<KvCache> caches, IReadOnlyList<int> tokens)
    {
        if (caches.Count != tokens.Count) throw new ArgumentException("One token per cache.");
        return Extend(caches, tokens.Select(t => new[] { t }).ToList());
    }

    /// <summary>
    /// Runs each sequence's new tokens after what its cache holds, all sequences in ONE forward: projections and MLP over
    /// the rows of every sequence (weights read, or NF4-dequantised, once), attention per sequence over its own cache,
    /// each with its own adapter. Prefill of several prompts and a batched decode step are both this. Fresh caches given
    /// the same tokens with the same adapter (a request's n choices, a GRPO group) share one run: the first one's cache is
    /// copied into the others. Returns each sequence's last-position logits (fp32; shared ones are the same array).
    /// </summary>
    public float[][] Extend(IReadOnlyList<KvCache> caches, IReadOnlyList<int[]> tokens)
    {
        if (caches.Count != tokens.Count) throw new ArgumentException("One token list per cache.");
        if (caches.Count == 0) return [];
        if (caches.Distinct().Count() != caches.Count) throw new ArgumentException("A cache appears twice in one forward.");
        for (var i = 0; i < caches.Count; i++)
        {
            if (tokens[i].Length == 0) throw new ArgumentException("Every sequence needs at least one new token.", nameof(tokens));
            if (caches[i].Length + tokens[i].Length > ContextLength)
                throw new InvalidOperationException($"Sequence would reach {caches[i].Length + tokens[i].Length} tokens, past the context length {ContextLength}.");
        }
        var leaderOf = LeadersOf(caches, tokens);
        var runs = Enumerable.Range(0, caches.Count).Where(i => leaderOf[i] == i).ToList();
        var logitsOfRun = Run(runs.Select(i => caches[i]).ToList(), runs.Select(i => tokens[i]).ToList());
        var result = new float[caches.Count][];
        for (var r = 0; r < runs.Count; r++) result[runs[r]] = logitsOfRun[r];
        for (var i = 0; i < caches.Count; i++)
        {
            if (leaderOf[i] == i) continue;
            caches[i].CopyFrom(caches[leaderOf[i]]);
            result[i] = result[leaderOf[i]];
        }
        return result;
    }

    /// <summary>For each sequence, the first earlier one it can copy: both caches empty, same adapter, same tokens.</summary>
    static int[] LeadersOf(IReadOnlyList<KvCache> caches, IReadOnlyList<int[]> tokens)
    {
        var leaderOf = new int[caches.Count];
        for (var i = 0; i < caches.Count; i++)
        {
            leaderOf[i] = i;
            if (caches[i].Length != 0) continue;
            for (var j = 0; j < i; j++)
                if (leaderOf[j] == j && caches[j].Length == 0 && caches[j].Adapter == caches[i].Adapter && tokens[j].AsSpan().SequenceEqual(tokens[i]))
                {
                    leaderOf[i] = j;
                    break;
                }
        }
        return leaderOf;
    }

    /// <summary>The forward itself: every sequence's rows end to end, then only each one's last row through the lm_head.</summary>
    float[][] Run(IReadOnlyList<KvCache> caches, IReadOnlyList<int[]> tokens)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var n = tokens.Sum(t => t.Length);
        var ids = new int[n];
        var positions = new long[n];
        var last = new long[caches.Count];
        var segments = new List<(KvCache, int, int)>(caches.Count);
        for (int i = 0, row = 0; i < caches.Count; row += tokens[i].Length, i++)
        {
            tokens[i].CopyTo(ids, row);
            for (var j = 0; j < tokens[i].Length; j++) positions[row + j] = caches[i].Length + j;
            segments.Add((caches[i], row, tokens[i].Length));
            last[i] = row + tokens[i].Length - 1;
        }
        var plan = new CachedPlan(segments, Config.NumHeads, Config.NumKvHeads, Config.HeadDim, Device);
        var hidden = Decoder.Forward(IdTensor(ids), tensor(positions, device: Device), plan, Routing(caches, tokens));
        // Only each sequence's last row needs logits: the lm_head is the widest matmul there is.
        if (n > caches.Count) hidden = hidden.index_select(0, tensor(last, device: Device));
        var logits = Decoder.Logits(hidden).to(ScalarType.Float32).cpu();
        for (var i = 0; i < caches.Count; i++) caches[i].Commit(tokens[i]);
        var flat = logits.data<float>().ToArray();
        var v = (int)logits.shape[1];
        return Enumerable.Range(0, caches.Count).Select(i => flat.AsSpan(i * v, v).ToArray()).ToArray();
    }

    /// <summary>Which rows each adapter applies to: sequence i's rows are its segment of the forward.</summary>
    AdapterRouting Routing(IReadOnlyList<KvCache> caches, IReadOnlyList<int[]> tokens)
    {
        var named = caches.Select(c => c.Adapter).OfType<string>().Distinct().ToList();
        if (named.Count == 0) return AdapterRouting.None;
        if (named.Count == 1 && caches.All(c => c.Adapter == named[0])) return AdapterRouting.All(named[0]);
        var rows = named.ToDictionary(a => a, _ => new List<long>());
        for (int i = 0, row = 0; i < caches.Count; row += tokens[i].Length, i++)
            if (caches[i].Adapter is { } adapter)
                for (var j = 0; j < tokens[i].Length; j++) rows[adapter].Add(row + j);
        return new AdapterRouting(named.Select(a => (a, (Tensor?)tensor(rows[a].ToArray(), device: Device))).ToList());
    }
}
