using Cortex1.Model;
using Cortex1.Model.Chat;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using Cortex1.Trainer.Grpo;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Tests;

/// <summary>The trainer's review corrections on a tiny model: temperature, μ, optimisers and schedule, accumulation, SFT targets.</summary>
public sealed class GrpoTrainerCorrectionsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cortex1-grpo-fix-{Guid.NewGuid():N}");
    private static readonly TrainingPrompt Prompt = new("p1", [new ChatMessage("user", "Is BTC in a bull market?")]);
    private static readonly TrainingPrompt Other = new("p2", [new ChatMessage("user", "Summarise ETH.")]);

    public void Dispose()
    {
        foreach (var f in Directory.GetDirectories(Path.GetTempPath(), Path.GetFileName(_folder) + "*")) Directory.Delete(f, true);
    }

    private LanguageModel Tiny(string family = "phi3")
    {
        var folder = $"{_folder}-{family}";
        if (!Directory.Exists(folder)) TinyModel.Create(folder, family, seed: 7);
        return LanguageModel.Load(folder, new LoadOptions(Quantization.None, ScalarType.Float32));
    }

    private static Reward LengthReward(TrainingPrompt _, string completion) => Math.Min(1, completion.Length / 60.0);

    [Fact]
    public void TheLossScoresCompletionsAtTheSamplingTemperature()
    {
        using var model = Tiny();
        using var trainer = new GrpoTrainer(model, new GrpoOptions { Temperature = 0.5f }, (_, _) => 0);
        int[] prompt = [5, 9, 14, 3];
        int[][] completions = [[40, 41, 42], [50]];
        using var group = CompletionGroup.Create(prompt, completions, model.Device);
        using var _ = no_grad();

        using var scored = trainer.PolicyLogProbs([group], GrpoTrainer.PolicyAdapter);

        for (var row = 0; row < completions.Length; row++)
        {
            using var ids = tensor(prompt.Concat(completions[row]).Select(x => (long)x).ToArray()).unsqueeze(0);
            using var logp = (model.Forward(ids).to(ScalarType.Float32) / 0.5).log_softmax(-1);
            for (var j = 0; j < completions[row].Length; j++)
                Assert.Equal(logp[0, prompt.Length + j - 1, completions[row][j]].item<float>(), scored[row, j].item<float>(), 4);
        }
    }

    [Fact]
    public void SeveralIterationsPerBatchOptimiseAgainstTheSamplingPolicy()
    {
        // μ = 1: ratio 1, so the per-sequence-mean surrogate is −mean(A) = 0. μ = 2: the second update is measured against
        // the policy that sampled (the old log-probs are kept), and the first update already moved it the way the
        // advantages point, so −ratio·A averages below 0.
        double PolicyLossOfLastIteration(int mu, out (long Sft, long Grpo) updates)
        {
            using var model = Tiny();
            using var trainer = new GrpoTrainer(model,
                new GrpoOptions { NumGenerations = 4, MaxCompletionLength = 10, LearningRate = 2e-2, Beta = 0, NumIterations = mu }, LengthReward);
            var metrics = trainer.Step(0, [Prompt]);
            updates = trainer.Updates;
            return metrics.PolicyLoss;
        }

        var one = PolicyLossOfLastIteration(1, out var updatesOne);
        var two = PolicyLossOfLastIteration(2, out var updatesTwo);

        Assert.Equal((0L, 1L), updatesOne);
        Assert.Equal((0L, 2L), updatesTwo);
        Assert.True(Math.Abs(one) < 1e-5, $"μ = 1 policy loss {one}");
        Assert.True(two < -1e-4, $"μ = 2 policy loss {two}");
    }

    [Fact]
    public void SftAndGrpoHaveTheirOwnOptimiserAndEachFollowsItsSchedule()
    {
        using var model = Tiny();
        using var trainer = new GrpoTrainer(model,
            new GrpoOptions { NumGenerations = 2, MaxCompletionLength = 6, LearningRate = 1e-3, SftSteps = 2, GrpoSteps = 4 }, LengthReward);

        var sft = new[] { trainer.SftStep([new SftExample(Prompt, "## Summary\nUp.")]), trainer.SftStep([new SftExample(Prompt, "## Summary\nUp.")]) };
        var grpo = Enumerable.Range(0, 3).Select(s => trainer.Step(s, [Prompt])).ToList();

        // Linear decay, no warm-up: update k of n runs at (n − k) / n of the rate, each phase counting its own updates.
        Assert.Equal(["0.001", "0.0005"], sft.Select(m => $"{m.LearningRate:G6}"));
        Assert.Equal(["0.001", "0.00075", "0.0005"], grpo.Select(m => $"{m.LearningRate:G6}"));
        Assert.Equal((2L, 3L), trainer.Updates);
    }

    [Theory]
    [InlineData("grpo")]
    [InlineData("dapo")]
    public void AccumulatedMicroBatchesGiveTheGradientOfTheWholeBatch(string lossType)
    {
        // The same two prompts (and so the same seeded completions) as one batch, or as two accumulated micro-batches.
        (double Loss, double GradNorm) Run(int promptsPerStep)
        {
            using var model = Tiny();
            using var trainer = new GrpoTrainer(model, new GrpoOptions
            {
                NumGenerations = 2, MaxCompletionLength = 8, PromptsPerStep = promptsPerStep, GradientAccumulationSteps = 2 / promptsPerStep,
                LossType = lossType, Beta = 0.04,
            }, LengthReward);
            var m = trainer.Step(0, [Prompt, Other]);
            return (m.Loss, m.GradNorm);
        }

        var whole = Run(promptsPerStep: 2);
        var accumulated = Run(promptsPerStep: 1);
        Assert.True(whole.GradNorm > 0);
        Assert.Equal(whole.GradNorm, accumulated.GradNorm, 4);
        Assert.Equal(whole.Loss, accumulated.Loss, 5);
    }

    [Fact]
    public void AccumulatedSftMicroBatchesGiveTheGradientOfTheWholeBatch()
    {
        SftStepMetrics Run(int promptsPerStep)
        {
            using var model = Tiny();
            using var trainer = new GrpoTrainer(model, new GrpoOptions { PromptsPerStep = promptsPerStep }, (_, _) => 0);
            return trainer.SftStep([new SftExample(Prompt, "## Summary\nBTC up 5%."), new SftExample(Other, "## Summary\nETH flat.")]);
        }

        var whole = Run(2);
        var accumulated = Run(1);
        Assert.Equal(whole.GradNorm, accumulated.GradNorm, 4);
        Assert.Equal(whole.Loss, accumulated.Loss, 5);
    }

    [Fact]
    public void SftTargetsAreTheTemplatesOwnTurnWithItsEndOfTurn()
    {
        Assert.Equal("Closes rose.\n</think>\n\n## Summary<｜end▁of▁sentence｜>",
            SftTargets.Text(new DeepSeekR1ChatTemplate(), "## Summary", "Closes rose."));
        Assert.Equal("\n</think>\n\n## Summary<｜end▁of▁sentence｜>", SftTargets.Text(new DeepSeekR1ChatTemplate(), "## Summary", null));
        Assert.Equal("## Summary<|im_end|>", SftTargets.Text(new Phi4ChatTemplate(), "## Summary", "Closes rose."));
        Assert.Equal("## Summary<|eot_id|>", SftTargets.Text(new Llama3ChatTemplate(), "## Summary", "Closes rose."));

        // What the trainer trains on: the R1 tiny model's generation prompt opens <think>, the target closes it and ends
        // with the end-of-sentence token.
        using var model = Tiny("qwen2");
        var tokens = SftTargets.Tokens(model, "## Summary", "Closes rose.");
        Assert.Equal(model.Tokenizer.Encode("<｜end▁of▁sentence｜>", allowSpecial: true).Single(), tokens[^1]);
        Assert.Contains(ThinkTags.Close, model.Tokenizer.Decode([.. tokens]));
        using var trainer = new GrpoTrainer(model, new GrpoOptions(), (_, _) => 0);
        Assert.Equal(tokens.Count, trainer.SftStep([new SftExample(Prompt, "## Summary", "Closes rose.")]).TargetTokensMean);
    }

    [Fact]
    public void AStepReportsTheEvidenceOfWhatItLearntFrom()
    {
        using var model = Tiny();
        using var trainer = new GrpoTrainer(model, new GrpoOptions { NumGenerations = 4, MaxCompletionLength = 5 },
            (_, completion) => new Reward(completion.Length / 100.0, new Dictionary<string, double> { ["length"] = completion.Length, ["one"] = 1 }));

        var m = trainer.Step(0, [Prompt]);

        Assert.Equal(1, m.RewardComponents["one"]);
        Assert.Equal(m.RewardMean * 100, m.RewardComponents["length"], 6);
        Assert.InRange(m.TruncatedShare, 0, 1);
        Assert.Equal(m.CompletionTokensMean == 5 ? 1 : m.TruncatedShare, m.TruncatedShare);   // every completion cut at 5 tokens ⇒ all truncated
        Assert.True(m.LearningRate > 0 && m.GradNorm >= 0);
        Assert.InRange(m.ZeroStdGroupShare, 0, 1);
    }

    [Fact]
    public void HeldOutEvaluationIsGreedyAndReportsTheMeanAndItsStandardError()
    {
        using var model = Tiny();
        var scores = new List<double>();
        using var trainer = new GrpoTrainer(model, new GrpoOptions { MaxCompletionLength = 6 }, (p, c) =>
        {
            var r = p.Id == "p1" ? 0.2 : 0.6;
            lock (scores) scores.Add(r);
            return new Reward(r, new Dictionary<string, double> { ["x"] = r * 2 });
        });

        var first = trainer.Evaluate([Prompt, Other]);
        var again = trainer.Evaluate([Prompt, Other]);

        Assert.Equal(0.4, first.RewardMean, 9);
        Assert.Equal(Math.Sqrt(0.08) / Math.Sqrt(2), first.RewardStdError, 9);   // sample std of {0.2, 0.6} over √n
        Assert.Equal(0.8, first.Components["x"], 9);
        Assert.Equal(2, first.Prompts);
        Assert.Equal(first, again with { Components = first.Components });
    }
}
