using Cortex1.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Grpo;

/// <summary>
/// Prompts and completions laid out as one right-padded batch for a training forward. Only positions from
/// <see cref="ScoredFrom"/> on predict a completion token in some row, so only those are scored (and only their logits
/// computed): with a 5k-token prompt and a 256-token completion that is 1/20 of the lm_head work and memory.
/// </summary>
public sealed class CompletionBatch : IDisposable
{
    /// <summary>[B, T] token ids, right-padded.</summary>
    public required Tensor Ids { get; init; }

    /// <summary>[B, T] 1 on real tokens, 0 on padding.</summary>
    public required Tensor AttentionMask { get; init; }

    /// <summary>The first position whose logits predict a completion token in any row (shortest prompt − 1).</summary>
    public required int ScoredFrom { get; init; }

    /// <summary>[B, T−1−ScoredFrom]: 1 where position ScoredFrom+k predicts a completion token (a target we score).</summary>
    public required Tensor CompletionMask { get; init; }

    public static CompletionBatch Create(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<IReadOnlyList<int>> completions, Device device)
    {
        if (prompts.Count != completions.Count) throw new ArgumentException("One completion per prompt row.");
        if (prompts.Any(p => p.Count == 0)) throw new ArgumentException("Every prompt needs at least one token.");
        var b = prompts.Count;
        var t = Enumerable.Range(0, b).Max(i => prompts[i].Count + completions[i].Count);
        var from = prompts.Min(p => p.Count) - 1;   // logits at position k predict token k+1
        var scored = t - 1 - from;
        var ids = new long[b * t];
        var attention = new long[b * t];
        var target = new float[b * scored];
        for (var i = 0; i < b; i++)
        {
            var p = prompts[i];
            var c = completions[i];
            for (var j = 0; j < p.Count; j++) { ids[i * t + j] = p[j]; attention[i * t + j] = 1; }
            for (var j = 0; j < c.Count; j++)
            {
                ids[i * t + p.Count + j] = c[j];
                attention[i * t + p.Count + j] = 1;
                target[i * scored + p.Count + j - 1 - from] = 1;
            }
        }
        return new CompletionBatch
        {
            Ids = tensor(ids, [b, t], device: device),
            AttentionMask = tensor(attention, [b, t], device: device),
            ScoredFrom = from,
            CompletionMask = tensor(target, [b, scored], device: device),
        };
    }

    public void Dispose()
    {
        Ids.Dispose();
        AttentionMask.Dispose();
        CompletionMask.Dispose();
    }
}

public static class TokenLogProbs
{
    /// <summary>
    /// Log-probability of each scored next token (positions from <see cref="CompletionBatch.ScoredFrom"/>) under the model
    /// with <paramref name="adapter"/> (null = the base, GRPO's reference policy): [B, T−1−ScoredFrom], float32.
    /// Gradients flow into the adapter when enabled.
    /// </summary>
    public static Tensor Compute(LanguageModel model, CompletionBatch batch, string? adapter)
    {
        using var scope = NewDisposeScope();
        var t = (int)batch.Ids.shape[1];
        var logits = model.Forward(batch.Ids, batch.AttentionMask, adapter, useActiveAdapter: false, keepLast: t - batch.ScoredFrom)
            .to(ScalarType.Float32);
        var logp = logits[.., ..^1, ..].log_softmax(-1);
        var targets = batch.Ids[.., (batch.ScoredFrom + 1)..].unsqueeze(-1);
        return logp.gather(-1, targets).squeeze(-1).MoveToOuterDisposeScope();
    }
}
