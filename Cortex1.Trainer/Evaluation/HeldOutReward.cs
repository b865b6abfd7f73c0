using Cortex1.Domain;
using Cortex1.Model;
using Cortex1.Model.Chat;
using Cortex1.Model.Generation;
using Cortex1.Rewards;

namespace Cortex1.Trainer.Evaluation;

/// <summary>A mean over eval prompts with its standard error (sample standard deviation / √n).</summary>
public sealed record MeanWithError(double Mean, double StandardError, int Count)
{
    public static MeanWithError Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return new(double.NaN, double.NaN, 0);
        var mean = values.Average();
        var se = values.Count < 2 ? double.NaN : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) / values.Count);
        return new(mean, se, values.Count);
    }

    public override string ToString() => FormattableString.Invariant($"{Mean:F3} ± {StandardError:F3} (n = {Count})");
}

/// <summary>The held-out reward of a model (and adapter): composite and per component, and each prompt's answer.</summary>
public sealed record HeldOutResult(MeanWithError Total, IReadOnlyDictionary<string, MeanWithError> Components, IReadOnlyList<HeldOutAnswer> Answers,
    double MeanCompletionTokens, double TruncatedFraction, double Seconds);

/// <param name="Truth">The truth gate's factor, and <paramref name="TruthExplanation"/> its count (verified, wrong, invented…).</param>
public sealed record HeldOutAnswer(string ExampleId, string Answer, double Reward, string FinishReason, int Tokens,
    double Truth = 1, string TruthExplanation = "none");

/// <summary>
/// The held-out reward: greedy answers of the model to every eval prompt (the data set's eval split: windows after the
/// time cut, never trained on), each scored by Cortex1's reward system against its own market data, as GRPO scores
/// (text inside &lt;think&gt; is not scored). Greedy, so the figure depends on the weights only.
/// </summary>
public static class HeldOutReward
{
    public static HeldOutResult Evaluate(LanguageModel model, IReadOnlyList<TrainingExample> eval, RewardSystem rewards,
        int maxTokens, string? adapter = null, int batchSize = 4, CancellationToken ct = default)
    {
        if (eval.Count == 0) throw new ArgumentException("The eval split is empty.", nameof(eval));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var generator = new Generator(model);
        var answers = new List<HeldOutAnswer>();
        var components = new Dictionary<string, List<double>>();
        foreach (var chunk in eval.Chunk(batchSize))
        {
            ct.ThrowIfCancellationRequested();
            var requests = chunk.Select(e => new GenerationRequest(
                model.Tokenizer.Encode(model.ChatTemplate.Render([new ChatMessage("user", e.Prompt)], addGenerationPrompt: true)),
                SamplingOptions.Greedy, maxTokens, Adapter: adapter)).ToList();
            var results = generator.GenerateBatch(requests, ct);
            for (var i = 0; i < chunk.Length; i++)
            {
                var answer = ThinkTags.AnswerOf(results[i].Text);
                var score = rewards.Score(answer, new RewardContext(chunk[i].Market, chunk[i].Kind));
                answers.Add(new HeldOutAnswer(chunk[i].Id, results[i].Text, score.Total, results[i].FinishReason, results[i].Tokens.Count,
                    score.Truth, score.TruthExplanation));
                foreach (var (name, c) in score.Components)
                {
                    if (!components.TryGetValue(name, out var list)) components[name] = list = [];
                    list.Add(c.Score);
                }
            }
        }
        return new HeldOutResult(MeanWithError.Of([.. answers.Select(a => a.Reward)]),
            components.ToDictionary(kv => kv.Key, kv => MeanWithError.Of(kv.Value)), answers,
            answers.Average(a => a.Tokens), answers.Count(a => a.FinishReason == FinishReasons.Length) / (double)answers.Count,
            clock.Elapsed.TotalSeconds);
    }
}
