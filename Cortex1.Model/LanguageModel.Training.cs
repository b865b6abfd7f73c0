using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model;

/// <summary>Training and scoring: whole sequences at once, no cache, with autograd into the adapter's LoRA weights.</summary>
public sealed partial class LanguageModel
{
    /// <summary>
    /// Forward over a batch: ids [B, T] (int64), optional attention mask [B, T] (1 = token, 0 = pad; left or right
    /// padding), <paramref name="adapter"/> = the LoRA to apply (null = the base model, e.g. GRPO's reference policy).
    /// Returns logits [B, T, vocab] in the compute dtype, with autograd into the adapter's A/B when grad is enabled.
    /// With <paramref name="keepLast"/> &gt; 0, only the last keepLast positions' logits [B, keepLast, vocab] (HF's
    /// logits_to_keep): training scores completions, and a long prompt's [T, vocab] logits would dwarf everything else.
    /// </summary>
    public Tensor Forward(Tensor ids, Tensor? attentionMask = null, string? adapter = null, int keepLast = 0)
    {
        if (ids.ndim != 2) throw new ArgumentException("ids must be [batch, time].", nameof(ids));
        if (ids.shape[1] > ContextLength) throw new ArgumentException($"Sequence length {ids.shape[1]} exceeds the context length {ContextLength}.");
        if (keepLast < 0 || keepLast > ids.shape[1]) throw new ArgumentOutOfRangeException(nameof(keepLast), $"keepLast must be in [0, {ids.shape[1]}].");
        _adapters.Require(adapter);
        using var scope = NewDisposeScope();
        long b = ids.shape[0], t = ids.shape[1];
        var flatIds = ids.to(Device).to(ScalarType.Int64).reshape(b * t);
        Tensor positions;
        Tensor? keyMask = null;
        if (attentionMask is not null)
        {
            keyMask = attentionMask.to(Device).to(ScalarType.Bool);
            // Positions count real tokens only, as HF's generate does, so left padding does not shift RoPE.
            positions = keyMask.to(ScalarType.Int64).cumsum(1).Plus(-1).AtLeast(0).reshape(b * t);
        }
        else positions = Scalars.Range(0, t, Device).repeat(b);
        // Without padding, or with right padding only, the batch is plainly causal for every real token (a pad key comes
        // after every real query of its row, and positions count from 0 either way), which the fused kernel runs without a
        // [T, T] mask; pad rows' logits are then garbage, as they are with the mask, and never scored. Left padding needs it.
        var allowed = keyMask is null || RightPadded(keyMask) ? null : Blocks.CausalMask(0, t, Device).unsqueeze(0).logical_and(keyMask.unsqueeze(1));
        var plan = new BatchPlan(b, t, allowed, Config.NumHeads, Config.NumKvHeads, Config.HeadDim, DType);
        var hidden = Decoder.Forward(flatIds, positions, plan, AdapterRouting.All(adapter));
        var kept = keepLast == 0 ? t : keepLast;
        if (kept < t) hidden = hidden.view(b, t, -1).narrow(1, t - kept, kept).reshape(b * kept, -1);
        return Decoder.Logits(hidden).view(b, kept, -1).MoveToOuterDisposeScope();
    }

    /// <summary>Whether every row of a key mask [B, T] is its tokens followed only by padding.</summary>
    static bool RightPadded(Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        var t = keyMask.shape[1];
        return t < 2 || keyMask.narrow(1, 1, t - 1).le(keyMask.narrow(1, 0, t - 1)).all().item<bool>();
    }

    /// <summary>
    /// Forward over one prompt and several completions of it (a GRPO group), laid out as ONE sequence
    /// [prompt, completion 1, …, completion G]: each completion attends to the prompt and to its own earlier tokens and
    /// has the positions it would have right after the prompt, so every logit equals the padded batch's, but the prompt
    /// runs through the model once instead of G times. Returns logits [1 + Σ|completion|, vocab] for the prompt's last
    /// row followed by every completion row, in the compute dtype, with autograd into the adapter when grad is on.
    /// </summary>
    public Tensor ForwardGroup(IReadOnlyList<int> prompt, IReadOnlyList<IReadOnlyList<int>> completions, string? adapter)
    {
        if (prompt.Count == 0) throw new ArgumentException("The prompt is empty.", nameof(prompt));
        _adapters.Require(adapter);
        if (completions.Count == 0 || completions.Any(c => c.Count == 0)) throw new ArgumentException("Every completion needs a token.", nameof(completions));
        var p = prompt.Count;
        if (p + completions.Max(c => c.Count) > ContextLength)
            throw new ArgumentException($"A prompt and completion of {p + completions.Max(c => c.Count)} tokens exceed the context length {ContextLength}.");
        var n = p + completions.Sum(c => c.Count);
        var ids = new int[n];
        var positions = new long[n];
        var allowed = new bool[(long)n * n];
        for (var i = 0; i < p; i++)
        {
            ids[i] = prompt[i];
            positions[i] = i;
            for (var j = 0; j <= i; j++) allowed[(long)i * n + j] = true;
        }
        for (int g = 0, start = p; g < completions.Count; start += completions[g].Count, g++)
            for (var t = 0; t < completions[g].Count; t++)
            {
                var row = start + t;
                ids[row] = completions[g][t];
                positions[row] = p + t;
                for (var j = 0; j < p; j++) allowed[(long)row * n + j] = true;
                for (var j = start; j <= row; j++) allowed[(long)row * n + j] = true;
            }
        using var scope = NewDisposeScope();
        var plan = new BatchPlan(1, n, tensor(allowed, [1, n, n], device: Device), Config.NumHeads, Config.NumKvHeads, Config.HeadDim, DType);
        var hidden = Decoder.Forward(IdTensor(ids), tensor(positions, device: Device), plan, AdapterRouting.All(adapter));
        return Decoder.Logits(hidden.narrow(0, p - 1, n - p + 1)).MoveToOuterDisposeScope();
    }
}
