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

/// <summary>Scores one completion of a prompt in [0, 1] (Cortex1's reward system in production).</summary>
public delegate double RewardFunction(TrainingPrompt prompt, string completion);

public sealed record GrpoStepMetrics(
    int Step, double Loss, double PolicyLoss, double Kl, double ClipRatio,
    double RewardMean, double RewardStd, double CompletionTokensMean, double Seconds);

/// <summary>
/// GRPO with a LoRA adapter ("policy") over a frozen, possibly 4-bit, base. The reference policy is
/// the same model with the adapter switched off, so no second copy of the weights is held.
/// Each step: sample G completions per prompt with the policy, score them, turn rewards into
/// group-relative advantages, and take μ optimiser steps on the clipped, KL-regularised objective.
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
    private readonly AdamW _optimizer;

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
        _optimizer = new AdamW(_parameters, options.LearningRate);
    }

    public IReadOnlyList<Parameter> Parameters => _parameters;

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

        // 2. Score them and make group-relative advantages.
        var rewards = completions.Select((c, i) => _reward(prompts[i / g], c.Text)).ToList();
        var advantages = GrpoLoss.Advantages(rewards, g);

        // 3. Optimise the clipped surrogate with a KL leash to the base model.
        using var scope = NewDisposeScope();
        // Each prompt and its G completions are scored as one group, so the prompt goes through the model once, not G
        // times; several prompts are several groups whose rows are stacked, right-padded to the longest completion.
        var groups = promptIds.Select((ids, p) =>
            CompletionGroup.Create(ids, completions.Skip(p * g).Take(g).Select(c => c.Tokens).ToList(), _model.Device)).ToList();
        Tensor LogProbs(string? adapter) => TokenLogProbs.Compute(_model, groups, adapter);
        var completionMask = CompletionGroup.StackedMask(groups);
        var adv = tensor(advantages, device: _model.Device);
        Tensor? refLogps = null, oldLogps = null;
        using (no_grad())
        {
            if (_options.Beta != 0) refLogps = LogProbs(adapter: null);
            if (_options.NumIterations > 1) oldLogps = LogProbs(PolicyAdapter);
        }

        GrpoLossTerms? terms = null;
        for (var iteration = 0; iteration < _options.NumIterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            _optimizer.ZeroGrad();
            var logps = LogProbs(PolicyAdapter);
            // With one iteration the sampling policy is the current one: ratio = 1, gradient intact.
            terms = GrpoLoss.Compute(logps, oldLogps ?? logps.detach(), refLogps, adv, completionMask, _options.Beta, _options.Epsilon);
            terms.Loss.backward();
            nn.utils.clip_grad_norm_(_parameters, _options.MaxGradNorm);
            _optimizer.Step();
        }

        var mean = rewards.Average();
        var std = Math.Sqrt(rewards.Sum(r => (r - mean) * (r - mean)) / rewards.Count);
        return new GrpoStepMetrics(step, terms!.Loss.item<float>(), terms.PolicyLoss, terms.Kl, terms.ClipRatio,
            mean, std, completions.Average(c => c.Tokens.Count), clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Supervised warm-up on teacher answers: mean negative log-likelihood of the answer tokens, so
    /// GRPO starts from a policy that already writes the expected sections.
    /// </summary>
    public double SftStep(IReadOnlyList<(TrainingPrompt Prompt, string Answer)> examples)
    {
        using var scope = NewDisposeScope();
        var prompts = examples.Select(e => (IReadOnlyList<int>)Encode(e.Prompt)).ToList();
        // An answer that does not fit after its prompt is cut at the context length: the model learns its start.
        var answers = examples.Select(e =>
            (IReadOnlyList<int>)[.. _model.Tokenizer.Encode(e.Answer, allowSpecial: false), .. _model.Tokenizer.EosTokenIds.Take(1)])
            .Select((a, i) => (IReadOnlyList<int>)a.Take(Math.Max(0, _model.ContextLength - prompts[i].Count)).ToList()).ToList();
        using var batch = CompletionBatch.Create(prompts, answers, _model.Device);
        _optimizer.ZeroGrad();
        var logps = TokenLogProbs.Compute(_model, batch, PolicyAdapter);
        var loss = -((logps * batch.CompletionMask).sum(1) / batch.CompletionMask.sum(1).AtLeast(1)).mean();
        loss.backward();
        nn.utils.clip_grad_norm_(_parameters, _options.MaxGradNorm);
        _optimizer.Step();
        return loss.item<float>();
    }

    public void SaveAdapter(string folder) => _model.SaveAdapter(PolicyAdapter, folder);

    /// <summary>The adapter plus the optimiser's moments, so a resumed run continues where this one stopped.</summary>
    public void SaveCheckpoint(string folder)
    {
        SaveAdapter(folder);
        _optimizer.Save(folder);
    }

    /// <summary>Restores the optimiser's moments saved by <see cref="SaveCheckpoint"/>; false when the folder has none.</summary>
    public bool LoadOptimizerState(string folder) => _optimizer.Load(folder);

    /// <summary>Whether a prompt leaves room for at least a short completion in the model's context.</summary>
    public bool Fits(TrainingPrompt prompt) => Room(Encode(prompt)) >= Math.Min(16, _options.MaxCompletionLength);

    /// <summary>Completion tokens that fit after a prompt: the configured length, or less near the context's end.</summary>
    private int Room(IReadOnlyList<int> prompt) => Math.Min(_options.MaxCompletionLength, _model.ContextLength - prompt.Count);

    private int[] Encode(TrainingPrompt prompt) =>
        _model.Tokenizer.Encode(_model.ChatTemplate.Render(prompt.Messages, addGenerationPrompt: true), allowSpecial: true);

    public void Dispose() => _optimizer.Dispose();
}
