using Cortex1.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Grpo;

/// <summary>Prompts and completions laid out as one right-padded batch for a training forward.</summary>
public sealed class CompletionBatch : IDisposable
{
    /// <summary>[B, T] token ids, right-padded.</summary>
    public required Tensor Ids { get; init; }

    /// <summary>[B, T] 1 on real tokens, 0 on padding.</summary>
    public required Tensor AttentionMask { get; init; }

    /// <summary>[B, T−1] 1 where position t+1 is a completion token (the targets we score), 0 elsewhere.</summary>
    public required Tensor CompletionMask { get; init; }

    public static CompletionBatch Create(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<IReadOnlyList<int>> completions, Device device)
    {
        if (prompts.Count != completions.Count) throw new ArgumentException("One completion per prompt row.");
        var b = prompts.Count;
        var t = Enumerable.Range(0, b).Max(i => prompts[i].Count + completions[i].Count);
        var ids = new long[b * t];
        var attention = new long[b * t];
        var target = new float[b * (t - 1)];
        for (var i = 0; i < b; i++)
        {
            var p = prompts[i];
            var c = completions[i];
            for (var j = 0; j < p.Count; j++) { ids[i * t + j] = p[j]; attention[i * t + j] = 1; }
            for (var j = 0; j < c.Count; j++)
            {
                ids[i * t + p.Count + j] = c[j];
                attention[i * t + p.Count + j] = 1;
                target[i * (t - 1) + p.Count + j - 1] = 1; // logits at position k predict token k+1
            }
        }
        return new CompletionBatch
        {
            Ids = tensor(ids, [b, t], device: device),
            AttentionMask = tensor(attention, [b, t], device: device),
            CompletionMask = tensor(target, [b, t - 1], device: device),
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
    /// Log-probability of every next token under the model with <paramref name="adapter"/> (null = the
    /// base, GRPO's reference policy): [B, T−1], float32. Gradients flow into the adapter when enabled.
    /// </summary>
    public static Tensor Compute(LanguageModel model, CompletionBatch batch, string? adapter)
    {
        using var scope = NewDisposeScope();
        var logits = model.Forward(batch.Ids, batch.AttentionMask, adapter, useActiveAdapter: false).to(ScalarType.Float32);
        var logp = logits[.., ..^1, ..].log_softmax(-1);
        var targets = batch.Ids[.., 1..].unsqueeze(-1);
        return logp.gather(-1, targets).squeeze(-1).MoveToOuterDisposeScope();
    }
}
