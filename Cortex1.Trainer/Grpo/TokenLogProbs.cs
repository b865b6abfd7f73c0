using Cortex1.Model;
using Cortex1.Model.Modeling;
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

    /// <summary>[B, T] 1 on real tokens, 0 on padding; null when no row is padded (the forward is then plainly causal).</summary>
    public required Tensor? AttentionMask { get; init; }

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
            AttentionMask = attention.Contains(0) ? tensor(attention, [b, t], device: device) : null,
            ScoredFrom = from,
            CompletionMask = tensor(target, [b, scored], device: device),
        };
    }

    public void Dispose()
    {
        Ids.Dispose();
        AttentionMask?.Dispose();
        CompletionMask.Dispose();
    }
}

public static class TokenLogProbs
{
    /// <summary>
    /// Log-probability of each scored next token (positions from <see cref="CompletionBatch.ScoredFrom"/>) under the model
    /// with <paramref name="adapter"/> (null = the base, GRPO's reference policy): [B, T−1−ScoredFrom], float32.
    /// Gradients flow into the adapter when enabled. <paramref name="temperature"/> divides the logits first: GRPO scores
    /// completions under the distribution they were sampled from (TRL does the same), SFT uses 1.
    /// </summary>
    public static Tensor Compute(LanguageModel model, CompletionBatch batch, string? adapter, double temperature = 1)
    {
        using var scope = NewDisposeScope();
        var t = (int)batch.Ids.shape[1];
        var logits = model.Forward(batch.Ids, batch.AttentionMask, adapter, keepLast: t - batch.ScoredFrom)
            .to(ScalarType.Float32);
        var logp = AtTemperature(logits[.., ..^1, ..], temperature).log_softmax(-1);
        var targets = batch.Ids[.., (batch.ScoredFrom + 1)..].unsqueeze(-1);
        return logp.gather(-1, targets).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <summary>Several groups (several prompts, G completions each): their rows stacked, [Σ G, longest completion].</summary>
    public static Tensor Compute(LanguageModel model, IReadOnlyList<CompletionGroup> groups, string? adapter, double temperature = 1) =>
        CompletionGroup.StackRows([.. groups.Select(group => Compute(model, group, adapter, temperature))]);

    /// <summary>The same log-probabilities for a group sharing one prompt: [G, longest completion], float32.</summary>
    public static Tensor Compute(LanguageModel model, CompletionGroup group, string? adapter, double temperature = 1)
    {
        using var scope = NewDisposeScope();
        var logp = AtTemperature(model.ForwardGroup(group.Prompt, group.Completions, adapter).to(ScalarType.Float32), temperature).log_softmax(-1);
        var g = group.Completions.Count;
        return logp.index_select(0, group.PredictorRows).gather(-1, group.Targets).view(g, -1).MoveToOuterDisposeScope();
    }

    private static Tensor AtTemperature(Tensor logits, double temperature) => temperature == 1 ? logits : logits.DividedBy(temperature);
}

/// <summary>
/// One prompt and its G completions (a GRPO group), scored with <see cref="LanguageModel.ForwardGroup"/>: the prompt
/// goes through the model once, not once per completion. Rows are completions, columns their tokens (right-padded).
/// </summary>
public sealed class CompletionGroup : IDisposable
{
    public required IReadOnlyList<int> Prompt { get; init; }
    public required IReadOnlyList<IReadOnlyList<int>> Completions { get; init; }

    /// <summary>[G, longest completion] 1 on a completion's tokens, 0 on padding.</summary>
    public required Tensor CompletionMask { get; init; }

    /// <summary>[G, longest]: which row of ForwardGroup's logits predicts each token (the prompt's last row, index 0,
    /// predicts every completion's first token); 0 on padding.</summary>
    public required Tensor PredictorRows { get; init; }

    /// <summary>[G, longest] the tokens scored; 0 on padding.</summary>
    public required Tensor Targets { get; init; }

    /// <summary>The groups' completion masks stacked like their log-probabilities.</summary>
    public static Tensor StackedMask(IReadOnlyList<CompletionGroup> groups) => StackRows([.. groups.Select(g => g.CompletionMask)]);

    /// <summary>[rows_i, cols_i] tensors stacked into [Σ rows, max cols], zero-padded on the right.</summary>
    internal static Tensor StackRows(IReadOnlyList<Tensor> parts)
    {
        if (parts.Count == 1) return parts[0];
        var cols = parts.Max(t => t.shape[1]);
        return cat([.. parts.Select(t => t.shape[1] == cols ? t : cat([t, zeros([t.shape[0], cols - t.shape[1]], t.dtype, t.device)], 1))], 0);
    }

    public static CompletionGroup Create(IReadOnlyList<int> prompt, IReadOnlyList<IReadOnlyList<int>> completions, Device device)
    {
        if (completions.Count == 0 || completions.Any(c => c.Count == 0)) throw new ArgumentException("Every completion needs a token.");
        var g = completions.Count;
        var longest = completions.Max(c => c.Count);
        var rows = new long[g * longest];
        var targets = new long[g * longest];
        var mask = new float[g * longest];
        for (int i = 0, start = 1; i < g; start += completions[i].Count, i++)   // kept row 0 = the prompt's last row
            for (var t = 0; t < completions[i].Count; t++)
            {
                rows[i * longest + t] = t == 0 ? 0 : start + t - 1;
                targets[i * longest + t] = completions[i][t];
                mask[i * longest + t] = 1;
            }
        return new CompletionGroup
        {
            Prompt = prompt,
            Completions = completions,
            CompletionMask = tensor(mask, [g, longest], device: device),
            PredictorRows = tensor(rows, [g * longest], device: device),
            Targets = tensor(targets, [g * longest, 1], device: device),
        };
    }

    public void Dispose()
    {
        CompletionMask.Dispose();
        PredictorRows.Dispose();
        Targets.Dispose();
    }
}
