using Cortex1.Model.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Grpo;

/// <summary>The loss and the terms worth logging, as plain numbers.</summary>
public sealed record GrpoLossTerms(Tensor Loss, double PolicyLoss, double Kl, double ClipRatio);

/// <summary>
/// GRPO's objective (DeepSeekMath, eq. 3), term by term as TRL computes it:
/// <code>
///   ratio          = exp(logp − old_logp)                          importance ratio
///   policy_loss    = −min(ratio·A, clip(ratio, 1−ε, 1+ε)·A)         clipped surrogate
///   kl             = exp(ref_logp − logp) − (ref_logp − logp) − 1  k3 estimator, ≥ 0
///   per_token_loss = policy_loss + β·kl
///   loss           = mean over sequences of (mean over completion tokens)
/// </code>
/// All inputs are per completion token, [B, T], with <c>mask</c> 1 on completion tokens.
/// </summary>
public static class GrpoLoss
{
    public static GrpoLossTerms Compute(
        Tensor perTokenLogps, Tensor oldPerTokenLogps, Tensor? refPerTokenLogps,
        Tensor advantages, Tensor completionMask, double beta, double epsilon)
    {
        using var scope = NewDisposeScope();
        var mask = completionMask.to(perTokenLogps.dtype);
        var a = advantages.to(perTokenLogps.dtype).unsqueeze(1);

        var ratio = (perTokenLogps - oldPerTokenLogps).exp();
        var clipped = ratio.ClampTo(1 - epsilon, 1 + epsilon);
        var policyLoss = -minimum(ratio * a, clipped * a);

        var perTokenLoss = policyLoss;
        Tensor? kl = null;
        if (beta != 0)
        {
            if (refPerTokenLogps is null) throw new ArgumentException("Beta > 0 needs the reference policy's log-probs.");
            var delta = refPerTokenLogps - perTokenLogps;
            kl = (delta.exp() - delta).Plus(-1);
            perTokenLoss = policyLoss.Plus(kl.Times(beta));
        }

        var tokens = mask.sum(1).AtLeast(1);
        var loss = ((perTokenLoss * mask).sum(1) / tokens).mean();

        // A token is "clipped" when the clipped branch won the min, i.e. the ratio left [1−ε, 1+ε] in the
        // direction the advantage rewards.
        var isClipped = (ratio.Below(1 - epsilon) & a.Below(0)) | (ratio.Above(1 + epsilon) & a.Above(0));
        double MaskedMean(Tensor t) => ((t.to(mask.dtype) * mask).sum() / mask.sum().AtLeast(1)).item<float>();

        return new GrpoLossTerms(
            loss.MoveToOuterDisposeScope(),
            MaskedMean(policyLoss.detach()),
            kl is null ? 0 : MaskedMean(kl.detach()),
            MaskedMean(isClipped));
    }

    /// <summary>
    /// Group-relative advantages: each reward minus its group's mean, over the group's standard
    /// deviation (+1e-4 so a group of equal rewards gives zero advantages, not NaN).
    /// Rewards are laid out group after group, <paramref name="groupSize"/> each.
    /// </summary>
    public static float[] Advantages(IReadOnlyList<double> rewards, int groupSize)
    {
        if (rewards.Count % groupSize != 0) throw new ArgumentException($"{rewards.Count} rewards do not split into groups of {groupSize}.");
        var result = new float[rewards.Count];
        for (var g = 0; g < rewards.Count; g += groupSize)
        {
            var group = rewards.Skip(g).Take(groupSize).ToArray();
            var mean = group.Average();
            // Unbiased standard deviation, as torch.std (and so TRL) computes it.
            var std = Math.Sqrt(group.Sum(r => (r - mean) * (r - mean)) / (groupSize - 1));
            for (var i = 0; i < groupSize; i++) result[g + i] = (float)((group[i] - mean) / (std + 1e-4));
        }
        return result;
    }
}
