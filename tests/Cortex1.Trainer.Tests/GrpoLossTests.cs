using Cortex1.Trainer.Grpo;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Tests;

public class GrpoLossTests
{
    [Fact]
    public void AdvantagesAreGroupRelativeAndZeroForAnEqualGroup()
    {
        var a = GrpoLoss.Advantages([1.0, 0.0, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2], groupSize: 4);

        // Group 1: mean 0.5, unbiased std sqrt(0.5/3).
        var std = Math.Sqrt(0.5 / 3);
        Assert.Equal(0.5 / (std + 1e-4), a[0], 4);
        Assert.Equal(-0.5 / (std + 1e-4), a[1], 4);
        Assert.Equal(0, a[2], 6);
        Assert.All(a[4..], x => Assert.Equal(0, x, 6)); // nothing to learn from equal rewards
        Assert.Throws<ArgumentException>(() => GrpoLoss.Advantages([1, 2, 3], groupSize: 2));
    }

    [Fact]
    public void MatchesTheFormulaTermByTerm()
    {
        // Two sequences, three positions; the last position of row 1 is padding.
        double[,] logp = { { -1.0, -2.0, -0.5 }, { -0.3, -0.9, -9.0 } };
        double[,] old = { { -1.1, -1.5, -0.5 }, { -0.3, -1.2, -1.0 } };
        double[,] reff = { { -1.2, -2.0, -0.4 }, { -0.5, -0.7, -1.0 } };
        double[,] mask = { { 1, 1, 1 }, { 1, 1, 0 } };
        double[] adv = [1.5, -0.7];
        const double beta = 0.1, eps = 0.2;

        var terms = GrpoLoss.Compute(T(logp), T(old), T(reff), tensor(adv.Select(x => (float)x).ToArray()), T(mask), beta, eps);

        double expected = 0;
        for (var b = 0; b < 2; b++)
        {
            double sum = 0, n = 0;
            for (var t = 0; t < 3; t++)
            {
                if (mask[b, t] == 0) continue;
                var ratio = Math.Exp(logp[b, t] - old[b, t]);
                var surrogate = -Math.Min(ratio * adv[b], Math.Clamp(ratio, 1 - eps, 1 + eps) * adv[b]);
                var d = reff[b, t] - logp[b, t];
                sum += surrogate + beta * (Math.Exp(d) - d - 1);
                n++;
            }
            expected += sum / n / 2;
        }
        Assert.Equal(expected, terms.Loss.item<float>(), 4);
        Assert.True(terms.Kl > 0);
        // Row 0, t=1: ratio e^-0.5 ≈ 0.61 < 0.8 with A > 0 is inside the trust region's favourable side (not clipped);
        // row 0, t=0: ratio e^0.1 ≈ 1.105 — within [0.8, 1.2]. Row 1, t=1: ratio e^0.3 ≈ 1.35 > 1.2 with A < 0: not clipped.
        Assert.Equal(0, terms.ClipRatio, 6);
    }

    [Fact]
    public void KlIsZeroWhenThePolicyIsTheReferenceAndClippingIsCounted()
    {
        double[,] logp = { { -1.0, -1.0 } };
        double[,] old = { { -1.5, -1.0 } }; // ratio e^0.5 ≈ 1.65 on the first token
        double[,] mask = { { 1, 1 } };

        var terms = GrpoLoss.Compute(T(logp), T(old), T(logp), tensor(new[] { 1f }), T(mask), beta: 0.04, epsilon: 0.2);

        Assert.Equal(0, terms.Kl, 6);
        Assert.Equal(0.5, terms.ClipRatio, 6); // one of two tokens left [0.8, 1.2] upwards with A > 0
        // Clipped branch: −min(1.65·1, 1.2·1) = −1.2 on token one, −1 on token two.
        Assert.Equal(-(1.2 + 1.0) / 2, terms.Loss.item<float>(), 4);
    }

    /// <summary>A [rows, cols] float32 tensor of the values.</summary>
    internal static Tensor T(double[,] v)
    {
        var rows = v.GetLength(0);
        var cols = v.GetLength(1);
        var flat = new float[rows * cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
                flat[i * cols + j] = (float)v[i, j];
        return tensor(flat, [rows, cols]);
    }
}
