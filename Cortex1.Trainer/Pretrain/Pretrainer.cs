using System.Diagnostics;
using Cortex1.Domain;
using Cortex1.Model.Baby;
using Cortex1.Model.Modeling;
using Cortex1.Trainer.Grpo;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Pretrain;

/// <summary>
/// How to pretrain. Defaults: the <see cref="BabyShape"/> defaults, 1,350 steps of two chats (windows of at most 2,048
/// tokens: a whole compact chat, else its report and the end of its prompt, or a prompt's start; see
/// <see cref="PretrainCorpus.Window"/>) — about 4.3 M tokens, a little over one pass of the corpus, in 540 s on two idle
/// cores — within a 570 s wall-clock budget, AdamW (β 0.9/0.95, no weight decay) at 3e-3 with a 10-step warm-up and a
/// cosine decay to a tenth, gradients clipped at norm 1. (The earlier default, 200 steps of one chat, saw 0.3 M tokens:
/// it learned words, not the report's order.)
/// </summary>
public sealed record PretrainOptions
{
    public BabyShape Shape { get; init; } = new();
    public int Steps { get; init; } = 1350;
    /// <summary>
    /// A wall-clock budget: training stops when it is spent (or after <see cref="Steps"/>), and the cosine decays over
    /// whichever runs out first, so a run on a busy machine still ends at its low learning rate, in time.
    /// </summary>
    public double? MaxSeconds { get; init; } = 570;
    public int BatchSize { get; init; } = 2;
    public int SequenceLength { get; init; } = 2048;
    /// <summary>Share of windows taken from a chat's start rather than its end (see <see cref="PretrainCorpus.Window"/>).</summary>
    public double FromStartFraction { get; init; } = 0.25;
    public double LearningRate { get; init; } = 3e-3;
    public double MinLearningRateFraction { get; init; } = 0.1;
    public int WarmupSteps { get; init; } = 10;
    public double WeightDecay { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Share of chats whose user turn is a one-line request instead of the data prompt (<see cref="PretrainCorpus.ShortChat"/>).</summary>
    public double ShortRequestFraction { get; init; } = 0.2;
    /// <summary>
    /// Predict the reports only: the prompt (the tables' digits, which no model can predict) is read as context but adds
    /// nothing to the loss, so every gradient is about writing the report from the data.
    /// </summary>
    public bool AnswerOnlyLoss { get; init; }
    /// <summary>Chats the tokenizer learns its merges from (all of them cost minutes; a few hundred reports repeat the same words).</summary>
    public int TokenizerSample { get; init; } = 800;
    /// <summary>
    /// A baby model folder to continue from (its tokenizer, shape and weights) instead of starting from random weights
    /// with a tokenizer learned anew: more tokens for a model whose form is already learned, without the first minutes
    /// spent learning it again.
    /// </summary>
    public string? InitFrom { get; init; }
    public int Seed { get; init; } = 1234;
    public int LogEvery { get; init; } = 10;

    /// <summary>Null when valid, else what is wrong.</summary>
    public string? Validate() =>
        Steps < 1 ? "steps must be at least 1"
        : BatchSize < 1 ? "batch size must be at least 1"
        : SequenceLength < 2 || SequenceLength >= Shape.Context ? $"sequence length must be in [2, {Shape.Context - 1}]"
        : LearningRate <= 0 ? "the learning rate must be positive"
        : MaxSeconds is <= 0 ? "the time budget must be positive"
        : Shape.Hidden % Shape.Heads != 0 || Shape.Heads % Shape.KvHeads != 0 ? "hidden must divide by heads, heads by KV heads"
        : null;

    /// <summary>
    /// Warm-up, then cosine from the peak to <see cref="MinLearningRateFraction"/> of it at the last step (nanoGPT's
    /// schedule), or at the end of the time budget when <paramref name="budgetSpent"/> (its share spent) is further along.
    /// </summary>
    public double LearningRateAt(int step, double budgetSpent = 0)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1) / WarmupSteps;
        var progress = Steps <= WarmupSteps ? 1 : (double)(step - WarmupSteps) / Math.Max(1, Steps - 1 - WarmupSteps);
        progress = Math.Max(progress, budgetSpent);
        var min = LearningRate * MinLearningRateFraction;
        return min + 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress))) * (LearningRate - min);
    }
}

/// <summary>What a pretraining run did, for the console, the job's result and the README.</summary>
/// <param name="TokensSeen">Tokens read through the model (every window's length).</param>
/// <param name="TokensPredicted">Tokens the loss was taken on (the reports' only, with <see cref="PretrainOptions.AnswerOnlyLoss"/>).</param>
public sealed record PretrainResult(int Steps, long TokensSeen, long TokensPredicted, long Parameters, int Vocabulary, int Chats, double MeanChatTokens, int MaxChatTokens,
    double FirstLoss, double FinalLoss, double Seconds, double TokensPerSecond, string Folder)
{
    public string KeyValues() => FormattableString.Invariant(
        $"steps={Steps} tokens_seen={TokensSeen} tokens_predicted={TokensPredicted} parameters={Parameters} vocab={Vocabulary} chats={Chats} chat_tokens_mean={MeanChatTokens:F0} chat_tokens_max={MaxChatTokens} first_loss={FirstLoss:F3} final_loss={FinalLoss:F3} seconds={Seconds:F0} tokens_per_s={TokensPerSecond:F0}");
}

/// <summary>
/// Pretrains the baby model from scratch with every parameter: learns its tokenizer from the corpus, draws windows
/// that start at a chat's first token, minimises next-token cross-entropy, and writes the HF folder.
/// </summary>
public static class Pretrainer
{
    public delegate void Progress(int step, int steps, double loss, double learningRate, double tokensPerSecond);

    public static PretrainResult Run(IReadOnlyList<TrainingExample> train, PretrainOptions options, string folder,
        Action<string> log, Progress? progress = null, CancellationToken ct = default)
    {
        if (options.Validate() is { } problem) throw new ArgumentException($"Invalid pretraining options: {problem}.");
        if (train.Count == 0) throw new ArgumentException("The corpus holds no examples.", nameof(train));
        var clock = Stopwatch.StartNew();
        var random = new Random(options.Seed);
        var texts = train.Select(e => options.ShortRequestFraction > 0 && random.NextDouble() < options.ShortRequestFraction ? PretrainCorpus.ShortChat(e) : PretrainCorpus.Chat(e)).ToList();
        var sample = texts.OrderBy(_ => random.Next()).Take(options.TokenizerSample).ToList();
        var (tokenizerJson, shape) = options.InitFrom is { } init ? BabyModel.ReadFolder(init) : (BabyModel.TrainTokenizer(sample, options.Shape.VocabSize), options.Shape);
        var corpus = new PretrainCorpus(texts, BabyModel.Tokenizer(tokenizerJson));
        var config = BabyModel.Config(shape, tokenizerJson);
        log(FormattableString.Invariant(
            $"tokenizer: {BabyModel.TokenCount(tokenizerJson)} tokens {(options.InitFrom is null ? $"from {sample.Count} chats" : $"of {options.InitFrom}")} in {clock.Elapsed.TotalSeconds:F0} s; corpus: {texts.Count} chats, {corpus.Tokens.Length:N0} tokens (mean {corpus.Lengths.Average():F0}, max {corpus.Lengths.Max()} per chat)"));

        using var model = new BabyLlama(config, options.Seed);
        if (options.InitFrom is { } from) model.LoadWeights(from);
        using var optimizer = new AdamW(model.Parameters, options.LearningRate, beta1: 0.9, beta2: 0.95, weightDecay: options.WeightDecay);
        log(FormattableString.Invariant(
            $"model: llama, hidden {config.HiddenSize}, {config.NumLayers} layers, {config.NumHeads} heads, mlp {config.IntermediateSize}, vocab {config.VocabSize}, context {config.MaxPositionEmbeddings}: {model.ParameterCount:N0} parameters; {options.Steps} steps of {options.BatchSize} × ≤ {options.SequenceLength} tokens"));

        var losses = new List<double>();
        long tokens = 0, predictedTotal = 0;
        var training = Stopwatch.StartNew();
        var steps = 0;
        for (var step = 0; step < options.Steps; step++)
        {
            ct.ThrowIfCancellationRequested();
            var spent = options.MaxSeconds is { } budget ? training.Elapsed.TotalSeconds / budget : 0;
            if (spent >= 1) break;
            using var scope = NewDisposeScope();
            optimizer.LearningRate = options.LearningRateAt(step, spent);
            optimizer.ZeroGrad();
            // One chat per forward, no padding; the batch's gradients add up (each loss weighted by its share of the tokens).
            var chats = Enumerable.Range(0, options.BatchSize)
                .Select(_ => corpus.Slice(random.Next(corpus.Starts.Count), options.SequenceLength + 1, fromStart: random.NextDouble() < options.FromStartFraction))
                .Select(c => (c.Tokens, First: options.AnswerOnlyLoss ? Math.Max(1, c.AnswerStart) : 1))
                .Where(c => c.Tokens.Length - c.First > 0).ToList();
            if (chats.Count == 0) continue; // windows of prompt only: nothing to predict
            var predicted = chats.Sum(c => c.Tokens.Length - c.First);
            double value = 0;
            foreach (var (chat, first) in chats)
            {
                using var inner = NewDisposeScope();
                using var ids = tensor(chat, [1, chat.Length], ScalarType.Int64);
                var loss = model.Loss(ids, first);
                var share = (double)(chat.Length - first) / predicted;
                value += loss.item<float>() * share;
                loss.Times(share).backward();
            }
            nn.utils.clip_grad_norm_(model.Parameters, options.MaxGradNorm);
            optimizer.Step();
            if (!double.IsFinite(value)) throw new InvalidOperationException($"Pretraining diverged at step {step + 1} (loss {value}); lower the learning rate.");
            losses.Add(value);
            steps++;
            tokens += chats.Sum(c => c.Tokens.Length - 1);
            predictedTotal += predicted;
            var rate = tokens / Math.Max(1e-9, training.Elapsed.TotalSeconds);
            progress?.Invoke(step + 1, options.Steps, value, optimizer.LearningRate, rate);
            if ((step + 1) % options.LogEvery == 0 || step == 0 || step + 1 == options.Steps)
                log(FormattableString.Invariant($"step {step + 1}/{options.Steps}: loss {value:F3}, lr {optimizer.LearningRate:0.####e0}, {rate:N0} tokens/s, {training.Elapsed.TotalSeconds:F0} s"));
        }

        if (losses.Count == 0) throw new InvalidOperationException("No training window held a report token: nothing was learned (is every chat longer than the sequence length?).");
        var weights = model.Export();
        try
        {
            BabyModel.Write(folder, config, tokenizerJson, weights);
        }
        finally
        {
            foreach (var (_, t) in weights) t.Dispose();
        }
        var window = Math.Min(10, losses.Count);
        return new PretrainResult(steps, tokens, predictedTotal, model.ParameterCount, config.VocabSize, texts.Count, corpus.Lengths.Average(), corpus.Lengths.Max(),
            losses.Take(window).Average(), losses.TakeLast(window).Average(), clock.Elapsed.TotalSeconds,
            tokens / Math.Max(1e-9, training.Elapsed.TotalSeconds), folder);
    }
}
