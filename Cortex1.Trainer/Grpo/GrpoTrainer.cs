using System.Diagnostics;
using Cortex1.Model;
using Cortex1.Model.Chat;
using Cortex1.Model.Generation;
using Cortex1.Model.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Grpo;

/// <summary>One prompt to train on, with whatever its reward function needs to score a completion.</summary>
public sealed record TrainingPrompt(string Id, IReadOnlyList<ChatMessage> Messages, object? RewardContext = null);

/// <summary>A completion's reward in [0, 1] and, when the reward is a composite, each component's score.</summary>
public readonly record struct Reward(double Total, IReadOnlyDictionary<string, double>? Components = null)
{
    public static implicit operator Reward(double total) => new(total);
}

/// <summary>Scores one completion of a prompt (Cortex1's reward system in production).</summary>
public delegate Reward RewardFunction(TrainingPrompt prompt, string completion);

/// <summary>A teacher example for SFT: the answer, and the reasoning that led to it when the teacher gave one.</summary>
public sealed record SftExample(TrainingPrompt Prompt, string Answer, string? Reasoning = null);

public sealed record GrpoStepMetrics(
    int Step, double Loss, double PolicyLoss, double Kl, double ClipRatio,
    double RewardMean, double RewardStd, double CompletionTokensMean, double Seconds)
{
    /// <summary>Mean score of each reward component over the step's completions.</summary>
    public IReadOnlyDictionary<string, double> RewardComponents { get; init; } = new Dictionary<string, double>();
    /// <summary>Mean over groups of each group's reward standard deviation (the signal GRPO learns from).</summary>
    public double GroupStdMean { get; init; }
    /// <summary>Share of groups whose rewards were all equal: they give zero advantages, nothing to learn.</summary>
    public double ZeroStdGroupShare { get; init; }
    /// <summary>Gradient norm before clipping (of the last optimiser update of the step).</summary>
    public double GradNorm { get; init; }
    /// <summary>Share of completions cut by the token limit rather than ended by the model.</summary>
    public double TruncatedShare { get; init; }
    public double LearningRate { get; init; }
}

public sealed record SftStepMetrics(double Loss, double GradNorm, double LearningRate, double TargetTokensMean);

/// <summary>The greedy held-out reward of a policy: mean composite, its standard error over prompts, each component's mean.</summary>
public sealed record EvalResult(double RewardMean, double RewardStdError, int Prompts, IReadOnlyDictionary<string, double> Components);

/// <summary>
/// GRPO with a LoRA adapter ("policy") over a frozen, possibly 4-bit, base. The reference policy is
/// the same model with the adapter switched off, so no second copy of the weights is held.
/// Each step: sample G completions per prompt with the policy, score them, turn rewards into
/// group-relative advantages, and take μ optimiser steps on the clipped, KL-regularised objective.
/// SFT and GRPO each have their own AdamW (moments, step count, learning-rate schedule), as two TRL trainers would.
/// </summary>
public sealed class GrpoTrainer : IDisposable
{
    /// <summary>
    /// How far apart consecutive steps' sampling seeds start: wider than the prompts × generations one step draws (up to
    /// 7,919, e.g. 64 prompts × 64 generations), so no two completions of a run share a seed; a prime, so the strides do
    /// not line up with a group size.
    /// </summary>
    private const int StepSeedStride = 7919;

    public const string PolicyAdapter = "policy";

    private readonly LanguageModel _model;
    private readonly GrpoOptions _options;
    private readonly RewardFunction _reward;
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly AdamW _sftOptimizer, _grpoOptimizer;

    public GrpoTrainer(LanguageModel model, GrpoOptions options, RewardFunction reward)
    {
        options.Validate();
        _model = model;
        _options = options;
        _reward = reward;
        _parameters = model.Adapters.Contains(PolicyAdapter)
            ? model.AdapterParameters(PolicyAdapter)
            : model.AddAdapter(PolicyAdapter, options.Lora, options.Seed);
        foreach (var p in _parameters) p.requires_grad = true;
        if (options.GradientCheckpointing is { } checkpointing) model.Decoder.GradientCheckpointing = checkpointing;
        _sftOptimizer = new AdamW(_parameters, options.LearningRate, weightDecay: options.WeightDecay);
        _grpoOptimizer = new AdamW(_parameters, options.LearningRate, weightDecay: options.WeightDecay);
    }

    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Optimiser updates taken so far by each phase (μ per GRPO step).</summary>
    public (long Sft, long Grpo) Updates => (_sftOptimizer.Steps, _grpoOptimizer.Steps);

    /// <summary>
    /// One GRPO step on <paramref name="prompts"/>: micro-batches of <see cref="GrpoOptions.PromptsPerStep"/> prompts whose
    /// gradients are accumulated into each of the μ updates (so a step with gradient accumulation takes
    /// PromptsPerStep × GradientAccumulationSteps prompts).
    /// </summary>
    public GrpoStepMetrics Step(int step, IReadOnlyList<TrainingPrompt> prompts, CancellationToken ct = default)
    {
        if (prompts.FirstOrDefault(p => !Fits(p)) is { } tooLong)
            throw new ArgumentException($"Prompt '{tooLong.Id}' leaves no room for a completion in the {_model.ContextLength}-token context.");
        var clock = Stopwatch.StartNew();
        var g = _options.NumGenerations;

        // 1. Sample a group of completions per prompt with the current policy.
        var promptIds = prompts.Select(Encode).ToList();
        var requests = new List<GenerationRequest>();
        for (var p = 0; p < prompts.Count; p++)
            for (var i = 0; i < g; i++)
                requests.Add(new GenerationRequest(promptIds[p],
                    new SamplingOptions(Temperature: _options.Temperature, TopP: _options.TopP, Seed: _options.Seed + step * StepSeedStride + p * g + i),
                    Room(promptIds[p]), Adapter: PolicyAdapter));
        IReadOnlyList<GenerationResult> completions;
        using (no_grad())
            completions = new Cortex1.Model.Generation.Generator(_model).GenerateBatch(requests, ct);

        // 2. Score them and make group-relative advantages over the whole generation batch (TRL's "batch" scaling
        //    takes the std of all of it).
        var scores = completions.Select((c, i) => _reward(prompts[i / g], c.Text)).ToList();
        var rewards = scores.Select(s => s.Total).ToList();
        var advantages = GrpoLoss.Advantages(rewards, g, _options.ScaleRewards);
        var groupStds = GrpoLoss.GroupStds(rewards, g);

        // 3. Optimise the clipped surrogate with a KL leash to the base model.
        using var scope = NewDisposeScope();
        // Each prompt and its G completions are scored as one group, so the prompt goes through the model once, not G
        // times; a micro-batch's prompts are several groups whose rows are stacked, right-padded to the longest completion.
        var micro = Enumerable.Range(0, prompts.Count).Chunk(_options.PromptsPerStep).Select(chunk =>
        {
            var groups = chunk.Select(p => CompletionGroup.Create(promptIds[p], completions.Skip(p * g).Take(g).Select(c => c.Tokens).ToList(), _model.Device)).ToList();
            var adv = tensor([.. chunk.SelectMany(p => advantages.Skip(p * g).Take(g))], device: _model.Device);
            return (Groups: groups, Mask: CompletionGroup.StackedMask(groups), Advantages: adv, Ref: (Tensor?)null, Old: (Tensor?)null);
        }).ToList();
        using (no_grad())
            for (var m = 0; m < micro.Count; m++)
                micro[m] = micro[m] with
                {
                    Ref = _options.Beta != 0 ? PolicyLogProbs(micro[m].Groups, adapter: null) : null,
                    Old = _options.NumIterations > 1 ? PolicyLogProbs(micro[m].Groups, PolicyAdapter) : null,
                };
        var settings = GrpoLossSettings.From(_options, tokensInUpdate: completions.Sum(c => c.Tokens.Count)) with { AccumulationSteps = micro.Count };

        double loss = 0, policyLoss = 0, kl = 0, clip = 0, gradNorm = 0, lr = 0;
        for (var iteration = 0; iteration < _options.NumIterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            _grpoOptimizer.ZeroGrad();
            (loss, policyLoss, kl, clip) = (0, 0, 0, 0);
            foreach (var mb in micro)
            {
                using var inner = NewDisposeScope();
                var logps = PolicyLogProbs(mb.Groups, PolicyAdapter);
                // With one iteration the sampling policy is the current one: ratio = 1, gradient intact.
                var terms = GrpoLoss.Compute(logps, mb.Old ?? logps.detach(), mb.Ref, mb.Advantages, mb.Mask, settings);
                terms.Loss.backward();
                loss += terms.Loss.item<float>();
                policyLoss += terms.PolicyLoss / micro.Count;
                kl += terms.Kl / micro.Count;
                clip += terms.ClipRatio / micro.Count;
            }
            (gradNorm, lr) = Update(_grpoOptimizer, (long)_options.GrpoSteps * _options.NumIterations);
        }

        var mean = rewards.Average();
        var std = Math.Sqrt(rewards.Sum(r => (r - mean) * (r - mean)) / rewards.Count);
        return new GrpoStepMetrics(step, loss, policyLoss, kl, clip, mean, std, completions.Average(c => c.Tokens.Count), clock.Elapsed.TotalSeconds)
        {
            RewardComponents = MeanComponents(scores),
            GroupStdMean = groupStds.Average(),
            ZeroStdGroupShare = groupStds.Count(s => s < 1e-8) / (double)groupStds.Length,
            GradNorm = gradNorm,
            TruncatedShare = completions.Count(c => c.FinishReason == FinishReasons.Length) / (double)completions.Count,
            LearningRate = lr,
        };
    }

    /// <summary>
    /// Per-token log-probs of the groups' completions under the policy (or, with no adapter, the reference), at the
    /// sampling temperature: the completions were drawn from softmax(logits / T), so that is the policy whose ratio and
    /// KL the loss takes (TRL divides the logits by T the same way).
    /// </summary>
    public Tensor PolicyLogProbs(IReadOnlyList<CompletionGroup> groups, string? adapter) =>
        TokenLogProbs.Compute(_model, groups, adapter, _options.Temperature);

    /// <summary>
    /// Supervised warm-up on teacher answers: mean negative log-likelihood of the target tokens (the reasoning and the
    /// answer in the template's own format, ending with its end-of-turn token; <see cref="SftTargets"/>), so GRPO
    /// starts from a policy that already writes the expected sections. Micro-batches of PromptsPerStep examples are
    /// accumulated into one update.
    /// </summary>
    public SftStepMetrics SftStep(IReadOnlyList<SftExample> examples)
    {
        _sftOptimizer.ZeroGrad();
        var chunks = examples.Chunk(_options.PromptsPerStep).ToList();
        double loss = 0, tokens = 0;
        foreach (var chunk in chunks)
        {
            using var scope = NewDisposeScope();
            var prompts = chunk.Select(e => (IReadOnlyList<int>)Encode(e.Prompt)).ToList();
            // A target that does not fit after its prompt is cut at the context length: the model learns its start.
            var targets = chunk.Select((e, i) => (IReadOnlyList<int>)SftTargets.Tokens(_model, e.Answer, e.Reasoning)
                .Take(Math.Max(0, _model.ContextLength - prompts[i].Count)).ToList()).ToList();
            tokens += targets.Sum(t => t.Count);
            using var batch = CompletionBatch.Create(prompts, targets, _model.Device);
            var logps = TokenLogProbs.Compute(_model, batch, PolicyAdapter);
            var nll = -((logps * batch.CompletionMask).sum(1) / batch.CompletionMask.sum(1).AtLeast(1)).mean();
            nll.DividedBy(chunks.Count).backward();
            loss += nll.item<float>() / chunks.Count;
        }
        var (gradNorm, lr) = Update(_sftOptimizer, _options.SftSteps);
        return new SftStepMetrics(loss, gradNorm, lr, tokens / examples.Count);
    }

    /// <summary>
    /// The held-out reward: each prompt answered greedily (temperature 0) by the policy — or by the base with
    /// <paramref name="withAdapter"/> false — and scored; the mean, its standard error over prompts, and each component's mean.
    /// </summary>
    public EvalResult Evaluate(IReadOnlyList<TrainingPrompt> prompts, bool withAdapter = true, CancellationToken ct = default)
    {
        var fitting = prompts.Where(Fits).ToList();
        if (fitting.Count == 0) throw new ArgumentException("No held-out prompt fits the model's context.");
        var requests = fitting.Select(p => Encode(p)).Select(ids =>
            new GenerationRequest(ids, SamplingOptions.Greedy, Room(ids), Adapter: withAdapter ? PolicyAdapter : null)).ToList();
        IReadOnlyList<GenerationResult> answers;
        using (no_grad())
            answers = new Cortex1.Model.Generation.Generator(_model).GenerateBatch(requests, ct);
        var scores = answers.Select((a, i) => _reward(fitting[i], a.Text)).ToList();
        var totals = scores.Select(s => s.Total).ToArray();
        var se = (Cortex1.Domain.Statistics.SampleStdDev(totals) ?? 0) / Math.Sqrt(totals.Length);
        return new EvalResult(totals.Average(), se, totals.Length, MeanComponents(scores));
    }

    private static Dictionary<string, double> MeanComponents(IReadOnlyList<Reward> scores) =>
        scores.SelectMany(s => s.Components ?? new Dictionary<string, double>()).GroupBy(kv => kv.Key)
            .ToDictionary(kv => kv.Key, kv => kv.Average(x => x.Value));

    /// <summary>Clips the accumulated gradient, sets the scheduled rate and takes the update; returns the pre-clip norm and the rate.</summary>
    private (double GradNorm, double LearningRate) Update(AdamW optimizer, long totalUpdates)
    {
        var norm = nn.utils.clip_grad_norm_(_parameters, _options.MaxGradNorm);
        var warmup = LearningRateSchedules.WarmupUpdates(_options.WarmupRatio, totalUpdates);
        optimizer.LearningRate = _options.LearningRate * LearningRateSchedules.Factor(_options.LrScheduler, optimizer.Steps, totalUpdates, warmup);
        // A warm-up's first update has rate 0: AdamW still counts it and updates its moments, as torch's does.
        optimizer.Step();
        return (norm, optimizer.LearningRate);
    }

    public void SaveAdapter(string folder) => _model.SaveAdapter(PolicyAdapter, folder);

    /// <summary>The adapter plus both phases' optimiser state, so a resumed run continues where this one stopped.</summary>
    public void SaveCheckpoint(string folder)
    {
        SaveAdapter(folder);
        _grpoOptimizer.Save(folder, AdamW.StateFile);
        _sftOptimizer.Save(folder, AdamW.SftStateFile);
    }

    /// <summary>Restores the optimisers' state saved by <see cref="SaveCheckpoint"/>; false when the folder has none.</summary>
    public bool LoadOptimizerState(string folder) =>
        _sftOptimizer.Load(folder, AdamW.SftStateFile) | _grpoOptimizer.Load(folder, AdamW.StateFile);

    /// <summary>Whether a prompt leaves room for at least a short completion in the model's context.</summary>
    public bool Fits(TrainingPrompt prompt) => Room(Encode(prompt)) >= Math.Min(16, _options.MaxCompletionLength);

    /// <summary>Completion tokens that fit after a prompt: the configured length, or less near the context's end.</summary>
    private int Room(IReadOnlyList<int> prompt) => Math.Min(_options.MaxCompletionLength, _model.ContextLength - prompt.Count);

    private int[] Encode(TrainingPrompt prompt) =>
        _model.Tokenizer.Encode(_model.ChatTemplate.Render(prompt.Messages, addGenerationPrompt: true), allowSpecial: true);

    public void Dispose()
    {
        _sftOptimizer.Dispose();
        _grpoOptimizer.Dispose();
    }
}
