using Cortex1.Model;
using Cortex1.Model.Chat;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using Cortex1.Trainer.Grpo;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Tests;

/// <summary>GRPO on a tiny Phi-4-architecture model: the learning signal goes where the advantages say.</summary>
public sealed class GrpoTrainerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cortex1-grpo-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    private LanguageModel Tiny()
    {
        if (!Directory.Exists(_folder)) TinyModel.Create(_folder, "phi3", seed: 7);
        return LanguageModel.Load(_folder, new LoadOptions(Quantization.None, ScalarType.Float32));
    }

    [Fact]
    public void PositiveAdvantageRaisesAndNegativeLowersACompletionsLikelihood()
    {
        using var model = Tiny();
        using var trainer = new GrpoTrainer(model, new GrpoOptions { Beta = 0, LearningRate = 5e-3 }, (_, _) => 0);
        var prompt = model.Tokenizer.Encode("Price rose", allowSpecial: false);
        var good = model.Tokenizer.Encode(" bull", allowSpecial: false);
        var bad = model.Tokenizer.Encode(" bear", allowSpecial: false);
        using var batch = CompletionBatch.Create([prompt, prompt], [good, bad], model.Device);
        var adv = tensor(new[] { 1f, -1f });

        var before = SequenceLogProbs(model, batch);
        for (var i = 0; i < 5; i++)
        {
            var opt = trainer.Parameters;
            foreach (var p in opt) p.grad?.zero_();
            var logps = TokenLogProbs.Compute(model, batch, GrpoTrainer.PolicyAdapter);
            var terms = GrpoLoss.Compute(logps, logps.detach(), null, adv, batch.CompletionMask, 0, 0.2);
            terms.Loss.backward();
            using (no_grad())
                foreach (var p in opt) p.sub_(p.grad! * 5e-2);
        }
        var after = SequenceLogProbs(model, batch);

        Assert.True(after[0] > before[0], $"good: {before[0]} → {after[0]}");
        Assert.True(after[1] < before[1], $"bad: {before[1]} → {after[1]}");
    }

    [Fact]
    public void AStepTrainsOnlyTheAdapterAndReportsFiniteMetrics()
    {
        using var model = Tiny();
        var prompts = new[] { new TrainingPrompt("p1", [new ChatMessage("user", "Is BTC in a bull market?")]) };
        // Reward longer answers: rewards differ inside the group, so there is a gradient.
        using var trainer = new GrpoTrainer(model,
            new GrpoOptions { NumGenerations = 4, MaxCompletionLength = 12, Temperature = 1.0f, LearningRate = 1e-2, Beta = 0 },
            (_, completion) => Math.Min(1, completion.Length / 400.0));
        using var probe = tensor(model.Tokenizer.Encode("hello market", allowSpecial: false).Select(x => (long)x).ToArray()).unsqueeze(0);
        using var baseBefore = model.Forward(probe, adapter: null).detach().clone();
        var adapterBefore = trainer.Parameters.Select(p => p.detach().clone()).ToList();
        // LoRA's B starts at zero and only a gradient moves it (no weight decay does): it is the proof that one flowed.
        // β = 0, so that gradient is the rewards' (the KL term's is only rounding noise here, which Adam would scale up).
        var zeroAtStart = trainer.Parameters.Select((p, i) => (p, i)).Where(x => x.p.abs().max().item<float>() == 0).Select(x => x.i).ToList();
        Assert.NotEmpty(zeroAtStart);

        var metrics = trainer.Step(0, prompts);

        Assert.True(double.IsFinite(metrics.Loss) && double.IsFinite(metrics.Kl));
        Assert.InRange(metrics.RewardMean, 0, 1);
        Assert.True(metrics.CompletionTokensMean > 0);
        using var baseAfter = model.Forward(probe, adapter: null);
        Assert.True(baseBefore.allclose(baseAfter), "the frozen base (the reference policy) must not move");
        Assert.Contains(trainer.Parameters.Zip(adapterBefore), pair => !pair.First.allclose(pair.Second));
        Assert.All(zeroAtStart, i => Assert.True(trainer.Parameters[i].abs().max().item<float>() > 0, $"B {i} still zero: no gradient reached it"));
        Assert.True(metrics.GradNorm > 0);
    }

    [Fact]
    public void AStepWithEqualRewardsLeavesTheAdapterAsItWas()
    {
        // The control of the test above: equal rewards give zero advantages and so a zero gradient, and nothing else
        // (weight decay is 0, as in TRL) may move the adapter.
        using var model = Tiny();
        var prompts = new[] { new TrainingPrompt("p1", [new ChatMessage("user", "Is BTC in a bull market?")]) };
        using var trainer = new GrpoTrainer(model, new GrpoOptions { NumGenerations = 4, MaxCompletionLength = 8, LearningRate = 1e-2, Beta = 0 }, (_, _) => 0.5);
        var before = trainer.Parameters.Select(p => p.detach().clone()).ToList();

        var metrics = trainer.Step(0, prompts);

        Assert.Equal(1.0, metrics.ZeroStdGroupShare);
        Assert.All(trainer.Parameters.Zip(before), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
    }

    [Fact]
    public void SftWarmUpLowersTheAnswersLoss()
    {
        using var model = Tiny();
        using var trainer = new GrpoTrainer(model, new GrpoOptions { LearningRate = 1e-2 }, (_, _) => 0);
        var example = new SftExample(new TrainingPrompt("p", [new ChatMessage("user", "Summarise BTC.")]), "## Summary\nBTC rose 5%.");

        var first = trainer.SftStep([example]).Loss;
        double last = first;
        for (var i = 0; i < 8; i++) last = trainer.SftStep([example]).Loss;

        Assert.True(last < first, $"loss {first} → {last}");
    }

    [Fact]
    public void LongAnswersAreCutAtTheContextAndPromptsThatLeaveNoRoomAreRefused()
    {
        var folder = _folder + "-short";
        TinyModel.Create(folder, "phi3", seed: 7, options: new TinyModelOptions(MaxPositionEmbeddings: 64));
        try
        {
            using var model = LanguageModel.Load(folder, new LoadOptions(Quantization.None, ScalarType.Float32));
            using var trainer = new GrpoTrainer(model, new GrpoOptions { NumGenerations = 2, MaxCompletionLength = 32 }, (_, _) => 0);
            var shortPrompt = new TrainingPrompt("p", [new ChatMessage("user", "BTC?")]);
            var longPrompt = new TrainingPrompt("q", [new ChatMessage("user", string.Join(' ', Enumerable.Repeat("bitcoin rose", 60)))]);

            Assert.True(double.IsFinite(trainer.SftStep([new SftExample(shortPrompt, string.Join(' ', Enumerable.Repeat("price up", 200)))]).Loss));
            var metrics = trainer.Step(0, [shortPrompt]);
            Assert.True(metrics.CompletionTokensMean <= 64);
            Assert.False(trainer.Fits(longPrompt));
            Assert.Throws<ArgumentException>(() => trainer.Step(1, [longPrompt]));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void ScoredLogProbsEqualThoseReadFromTheFullLogits()
    {
        // Prompts of different lengths, right padding: only positions from the shortest prompt on are scored.
        using var model = Tiny();
        int[][] prompts = [[5, 9, 14, 3, 27, 8, 11], [5, 9, 2]];
        int[][] completions = [[40, 41, 42], [50, 51, 52, 53, 54]];
        using var batch = CompletionBatch.Create(prompts, completions, model.Device);
        Assert.Equal(2, batch.ScoredFrom);
        Assert.NotNull(batch.AttentionMask);   // rows are padded
        using (var unpadded = CompletionBatch.Create([[5, 9], [7, 1]], [[40, 41], [50, 51]], model.Device))
            Assert.Null(unpadded.AttentionMask);   // nothing padded: a plainly causal forward, no mask to build
        using var _ = no_grad();
        using var scored = TokenLogProbs.Compute(model, batch, adapter: null);
        using var full = model.Forward(batch.Ids, batch.AttentionMask).to(ScalarType.Float32).log_softmax(-1);
        var mask = batch.CompletionMask.data<float>().ToArray();
        var got = scored.data<float>().ToArray();
        var width = (int)scored.shape[1];
        var checkedTargets = 0;
        for (var row = 0; row < 2; row++)
            for (var j = 0; j < completions[row].Length; j++)
            {
                // Position p+j−1 predicts completion token j.
                var position = prompts[row].Length + j - 1;
                var k = position - batch.ScoredFrom;
                Assert.Equal(1f, mask[row * width + k]);
                Assert.Equal(full[row, position, completions[row][j]].item<float>(), got[row * width + k], 4);
                checkedTargets++;
            }
        Assert.Equal(checkedTargets, (int)mask.Sum());
    }

    [Fact]
    public void GroupsScoredOverTheirSharedPromptsEqualThePaddedBatchValuesAndGradients()
    {
        // Two prompts with their groups (what a step with promptsPerStep = 2 scores): each prompt runs once, rows stacked.
        using var model = Tiny();
        var lora = model.AddAdapter("g", new Cortex1.Model.Lora.LoraConfig(4, 8, 0), seed: 2);
        using (no_grad()) foreach (var p in lora) p.normal_(0, 0.2);   // a non-zero adapter, so gradients reach A and B
        int[] prompt = [5, 9, 14, 3, 27, 8, 11, 40];
        int[] other = [7, 2, 19, 33];
        int[][] completions = [[60, 61, 62], [70], [80, 81, 82, 83, 84]];
        int[][] others = [[90, 91], [95, 96, 97, 98, 99, 100, 101]];

        (float[] Values, float[] Grads) Score(bool shared)
        {
            foreach (var p in lora) p.grad?.zero_();
            using var scope = NewDisposeScope();
            Tensor logps, mask;
            if (shared)
            {
                CompletionGroup[] groups = [CompletionGroup.Create(prompt, completions, model.Device), CompletionGroup.Create(other, others, model.Device)];
                (logps, mask) = (TokenLogProbs.Compute(model, groups, "g"), CompletionGroup.StackedMask(groups));
            }
            else
            {
                var batch = CompletionBatch.Create([prompt, prompt, prompt, other, other], [.. completions, .. others], model.Device);
                (logps, mask) = (TokenLogProbs.Compute(model, batch, "g"), batch.CompletionMask);
            }
            // Each row's completion log-probs in order, whatever the layout's padding.
            var values = new List<float>();
            var flat = logps.detach().data<float>().ToArray();
            var m = mask.data<float>().ToArray();
            for (var i = 0; i < flat.Length; i++) if (m[i] == 1) values.Add(flat[i]);
            (logps * mask).sum().backward();
            return (values.ToArray(), lora.SelectMany(p => p.grad!.data<float>().ToArray()).ToArray());
        }

        var padded = Score(shared: false);
        var grouped = Score(shared: true);
        Assert.Equal(completions.Sum(c => c.Length) + others.Sum(c => c.Length), grouped.Values.Length);
        Assert.True(TinyModelsDiff(padded.Values, grouped.Values) < 1e-4, $"values differ by {TinyModelsDiff(padded.Values, grouped.Values)}");
        Assert.True(grouped.Grads.Any(g => Math.Abs(g) > 1e-6), "gradients reached the adapter");
        Assert.True(TinyModelsDiff(padded.Grads, grouped.Grads) < 1e-3, $"gradients differ by {TinyModelsDiff(padded.Grads, grouped.Grads)}");
    }

    private static float TinyModelsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Max(x => Math.Abs(x.First - x.Second));
    }

    private static float[] SequenceLogProbs(LanguageModel model, CompletionBatch batch)
    {
        using var _ = no_grad();
        using var logps = TokenLogProbs.Compute(model, batch, GrpoTrainer.PolicyAdapter);
        using var sums = (logps * batch.CompletionMask).sum(1);
        return sums.data<float>().ToArray();
    }
}
