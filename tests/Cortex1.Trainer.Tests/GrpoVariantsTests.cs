using Cortex1.Trainer.Grpo;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Tests;

/// <summary>TRL's (v1.9) loss reductions, reward scalings and learning-rate schedules, each against a direct computation.</summary>
public class GrpoVariantsTests
{
    // Two sequences, three positions; the last position of row 1 is padding.
    private static readonly double[,] Logp = { { -1.0, -2.0, -0.5 }, { -0.3, -0.9, -9.0 } };
    private static readonly double[,] Old = { { -1.1, -1.5, -0.5 }, { -0.3, -1.2, -1.0 } };
    private static readonly double[,] Ref = { { -1.2, -2.0, -0.4 }, { -0.5, -0.7, -1.0 } };
    private static readonly double[,] Mask = { { 1, 1, 1 }, { 1, 1, 0 } };
    private static readonly double[] Adv = [1.5, -0.7];

    /// <summary>per_token_loss written out: −min(r·A, clip(r, 1−lo, 1+hi)·A) + β·k3.</summary>
    private static double PerToken(int b, int t, double beta, double lo, double hi)
    {
        var ratio = Math.Exp(Logp[b, t] - Old[b, t]);
        var surrogate = -Math.Min(ratio * Adv[b], Math.Clamp(ratio, 1 - lo, 1 + hi) * Adv[b]);
        var d = Ref[b, t] - Logp[b, t];
        return surrogate + beta * (Math.Exp(d) - d - 1);
    }

    [Theory]
    [InlineData("grpo", 1)]
    [InlineData("grpo", 3)]
    [InlineData("bnpo", 1)]
    [InlineData("bnpo", 2)]
    [InlineData("dr_grpo", 1)]
    [InlineData("dr_grpo", 2)]
    [InlineData("dapo", 1)]
    [InlineData("dapo", 2)]
    public void EachLossTypeReducesAsTrlDoes(string lossType, int accumulation)
    {
        const double beta = 0.1, lo = 0.2, hi = 0.28;
        const int maxCompletion = 8;
        const double tokensInUpdate = 11;   // dapo: the whole update's completion tokens, this micro-batch holds 5 of them
        var settings = new GrpoLossSettings(lossType, beta, lo, hi, maxCompletion, accumulation, lossType == "dapo" ? tokensInUpdate : null);

        var terms = GrpoLoss.Compute(T(Logp), T(Old), T(Ref), tensor(Adv.Select(x => (float)x).ToArray()), T(Mask), settings);

        double total = 0, tokens = 0, seqMeans = 0;
        for (var b = 0; b < 2; b++)
        {
            double sum = 0, n = 0;
            for (var t = 0; t < 3; t++)
                if (Mask[b, t] == 1) { sum += PerToken(b, t, beta, lo, hi); n++; }
            total += sum; tokens += n; seqMeans += sum / n;
        }
        var expected = lossType switch
        {
            "grpo" => seqMeans / 2 / accumulation,
            "bnpo" => total / tokens / accumulation,
            "dr_grpo" => total / (2 * maxCompletion) / accumulation,
            "dapo" => total / tokensInUpdate,
            _ => throw new ArgumentException(lossType),
        };
        Assert.Equal(expected, terms.Loss.item<float>(), 5);
    }

    [Fact]
    public void EpsilonHighWidensOnlyTheUpperClip()
    {
        // Ratio e^0.25 ≈ 1.284 with A > 0: clipped at 1.2 (ε = 0.2), not at 1.3 (ε_high = 0.3).
        var logp = T(new double[,] { { -1.0 } });
        var old = T(new double[,] { { -1.25 } });
        var adv = tensor(new[] { 1f });
        var mask = T(new double[,] { { 1 } });

        var symmetric = GrpoLoss.Compute(logp, old, null, adv, mask, new GrpoLossSettings("grpo", 0, 0.2, 0.2, 1));
        var high = GrpoLoss.Compute(logp, old, null, adv, mask, new GrpoLossSettings("grpo", 0, 0.2, 0.3, 1));

        Assert.Equal(-1.2, symmetric.Loss.item<float>(), 5);
        Assert.Equal(1.0, symmetric.ClipRatio, 6);
        Assert.Equal(-Math.Exp(0.25), high.Loss.item<float>(), 5);
        Assert.Equal(0.0, high.ClipRatio, 6);
    }

    [Fact]
    public void RewardsAreScaledByTheGroupsStdTheBatchsStdOrNothing()
    {
        double[] rewards = [1.0, 0.0, 0.5, 0.5, 0.9, 0.1, 0.9, 0.1];
        static double Std(IEnumerable<double> xs)
        {
            var v = xs.ToArray();
            var m = v.Average();
            return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
        }
        var groupStd = new[] { Std(rewards[..4]), Std(rewards[4..]) };
        var batchStd = Std(rewards);

        var group = GrpoLoss.Advantages(rewards, 4, "group");
        var batch = GrpoLoss.Advantages(rewards, 4, "batch");
        var none = GrpoLoss.Advantages(rewards, 4, "none");

        for (var i = 0; i < 8; i++)
        {
            var centred = rewards[i] - 0.5;   // both groups have mean 0.5
            Assert.Equal(centred / (groupStd[i / 4] + 1e-4), group[i], 4);
            Assert.Equal(centred / (batchStd + 1e-4), batch[i], 4);
            Assert.Equal(centred, none[i], 6);
        }
        Assert.Equal(groupStd, GrpoLoss.GroupStds(rewards, 4));
    }

    [Fact]
    public void TheScheduleWarmsUpThenDecaysLinearlyOrAlongACosine()
    {
        // transformers' schedules, 10 updates with 2 of warm-up: update k has rate factor
        //   k < 2: k / 2;  linear: (10 − k) / 8;  cosine: ½(1 + cos(π (k − 2) / 8)).
        for (var k = 0; k < 10; k++)
        {
            var warm = k < 2 ? k / 2.0 : (double?)null;
            Assert.Equal(warm ?? (10 - k) / 8.0, LearningRateSchedules.Factor("linear", k, 10, 2), 12);
            Assert.Equal(warm ?? 0.5 * (1 + Math.Cos(Math.PI * (k - 2) / 8)), LearningRateSchedules.Factor("cosine", k, 10, 2), 12);
            Assert.Equal(warm ?? 1, LearningRateSchedules.Factor("constant", k, 10, 2), 12);
        }
        Assert.Equal(1, LearningRateSchedules.Factor("linear", 0, 10, 0));   // TRL's default: no warm-up, the full rate first
        Assert.Equal(2, LearningRateSchedules.WarmupUpdates(0.15, 10));      // ceil, as get_warmup_steps
        Assert.Equal(0, new GrpoOptions().WeightDecay);
        Assert.Equal("linear", new GrpoOptions().LrScheduler);
    }

    private static Tensor T(double[,] v) => GrpoLossTests.T(v);
}
