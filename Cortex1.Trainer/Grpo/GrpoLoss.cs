using Cortex1.Model.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Grpo;

/// <summary>The loss and the terms worth logging, as plain numbers.</summary>
public sealed record GrpoLossTerms(Tensor Loss, double PolicyLoss, double Kl, double ClipRatio);

/// <summary>
/// How one micro-batch's per-token loss is reduced (TRL v1.9 <c>GRPOTrainer._compute_loss</c>).
/// <paramref name="AccumulationSteps"/>: micro-batches per optimiser update, which grpo, bnpo and dr_grpo divide by;
/// <paramref name="TokensInUpdate"/>: completion tokens of all those micro-batches, dapo's divisor (TRL's
/// num_items_in_batch); null = this micro-batch's.
/// </summary>
public sealed record GrpoLossSettings(
    string LossType, double Beta, double EpsilonLow, double EpsilonHigh, int MaxCompletionLength,
    int AccumulationSteps = 1, double? TokensInUpdate = null)
{
    public static GrpoLossSettings From(GrpoOptions o, double? tokensInUpdate = null) =>
        new(o.LossType, o.Beta, o.Epsilon, o.EpsilonUpper, o.MaxCompletionLength, o.GradientAccumulationSteps, tokensInUpdate);
}

/// <summary>
/// GRPO's objective (DeepSeekMath, eq. 3), term by term as TRL (v1.9) computes it:
/// <code>
///   ratio          = exp(logp − old_logp)                              importance ratio
///   policy_loss    = −min(ratio·A, clip(ratio, 1−ε_low, 1+ε_high)·A)    clipped surrogate
///   kl             = exp(ref_logp − logp) − (ref_logp − logp) − 1      k3 estimator, ≥ 0
///   per_token_loss = policy_loss + β·kl
///   grpo:    mean over sequences of (mean over each one's completion tokens)        / accumulation steps
///   bnpo:    sum over all completion tokens / their count                            / accumulation steps
///   dr_grpo: sum over all completion tokens / (sequences × max_completion_length)    / accumulation steps
///   dapo:    sum over all completion tokens / completion tokens of the whole update
/// </code>
/// All inputs are per completion token, [B, T], with <c>mask</c> 1 on completion tokens.
/// </summary>
public static class GrpoLoss
{
    /// <summary>The grpo reduction with a symmetric clip, no accumulation.</summary>
    public static GrpoLossTerms Compute(
        Tensor perTokenLogps, Tensor oldPerTokenLogps, Tensor? refPerTokenLogps,
        Tensor advantages, Tensor completionMask, double beta, double epsilon) =>
        Compute(perTokenLogps, oldPerTokenLogps, refPerTokenLogps, advantages, completionMask,
            new GrpoLossSettings(GrpoLossTypes.Grpo, beta, epsilon, epsilon, MaxCompletionLength: (int)perTokenLogps.shape[1]));

    public static GrpoLossTerms Compute(
        Tensor perTokenLogps, Tensor oldPerTokenLogps, Tensor? refPerTokenLogps,
        Tensor advantages, Tensor completionMask, GrpoLossSettings settings)
    {
        using var scope = NewDisposeScope();
        var mask = completionMask.to(perTokenLogps.dtype);
        var a = advantages.to(perTokenLogps.dtype).unsqueeze(1);

        var ratio = (perTokenLogps - oldPerTokenLogps).exp();
        var clipped = ratio.ClampTo(1 - settings.EpsilonLow, 1 + settings.EpsilonHigh);
        var policyLoss = -minimum(ratio * a, clipped * a);

        var perTokenLoss = policyLoss;
        Tensor? kl = null;
        if (settings.Beta != 0)
        {
            if (refPerTokenLogps is null) throw new ArgumentException("Beta > 0 needs the reference policy's log-probs.");
            var delta = refPerTokenLogps - perTokenLogps;
            kl = (delta.exp() - delta).Plus(-1);
            perTokenLoss = policyLoss.Plus(kl.Times(settings.Beta));
        }

        var masked = perTokenLoss * mask;
        var accumulation = settings.AccumulationSteps;
        var loss = settings.LossType switch
        {
            GrpoLossTypes.Grpo => (masked.sum(1) / mask.sum(1).AtLeast(1)).mean().DividedBy(accumulation),
            GrpoLossTypes.Bnpo => (masked.sum() / mask.sum().AtLeast(1)).DividedBy(accumulation),
            GrpoLossTypes.DrGrpo => masked.sum().DividedBy((double)perTokenLogps.shape[0] * settings.MaxCompletionLength * accumulation),
            GrpoLossTypes.Dapo => settings.TokensInUpdate is { } tokens ? masked.sum().DividedBy(Math.Max(1, tokens)) : masked.sum() / mask.sum().AtLeast(1),
            _ => throw new ArgumentException($"Unknown loss type '{settings.LossType}'."),
        };

        // A token is "clipped" when the clipped branch won the min, i.e. the ratio left [1−ε_low, 1+ε_high] in the
        // direction the advantage rewards.
        var isClipped = (ratio.Below(1 - settings.EpsilonLow) & a.Below(0)) | (ratio.Above(1 + settings.EpsilonHigh) & a.Above(0));
        double MaskedMean(Tensor t) => ((t.to(mask.dtype) * mask).sum() / mask.sum().AtLeast(1)).item<float>();

        return new GrpoLossTerms(
            loss.MoveToOuterDisposeScope(),
            MaskedMean(policyLoss.detach()),
            kl is null ? 0 : MaskedMean(kl.detach()),
            MaskedMean(isClipped));
    }

    /// <summary>
    /// Group-relative advantages as TRL computes them: each reward minus its group's mean, divided (+1e-4, so a group
    /// of equal rewards gives zero advantages, not NaN) by the group's standard deviation (<c>group</c>), the whole
    /// batch's (<c>batch</c>), or nothing (<c>none</c>, Dr. GRPO). Standard deviations are unbiased, as torch.std's.
    /// Rewards are laid out group after group, <paramref name="groupSize"/> each.
    /// </summary>
    public static float[] Advantages(IReadOnlyList<double> rewards, int groupSize, string scale = GrpoScaling.Group)
    {
        var stds = GroupStds(rewards, groupSize);
        var batchStd = Std(rewards);
        var result = new float[rewards.Count];
        for (var g = 0; g < rewards.Count; g += groupSize)
        {
            var mean = rewards.Skip(g).Take(groupSize).Average();
            var divisor = scale switch
            {
                GrpoScaling.Group => stds[g / groupSize] + 1e-4,
                GrpoScaling.Batch => batchStd + 1e-4,
                GrpoScaling.None => 1.0,
                _ => throw new ArgumentException($"Unknown reward scaling '{scale}'."),
            };
            for (var i = 0; i < groupSize; i++) result[g + i] = (float)((rewards[g + i] - mean) / divisor);
        }
        return result;
    }

    /// <summary>Each group's unbiased standard deviation of rewards.</summary>
    public static double[] GroupStds(IReadOnlyList<double> rewards, int groupSize)
    {
        if (groupSize < 2 || rewards.Count % groupSize != 0) throw new ArgumentException($"{rewards.Count} rewards do not split into groups of {groupSize} (≥ 2).");
        return [.. Enumerable.Range(0, rewards.Count / groupSize).Select(g => Std([.. rewards.Skip(g * groupSize).Take(groupSize)]))];
    }

    private static double Std(IReadOnlyList<double> values) => Cortex1.Domain.Statistics.SampleStdDev([.. values]) ?? 0;
}
