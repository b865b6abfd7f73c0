using System.Runtime.CompilerServices;
using System.Text;
using Cortex1.Model.Modeling;

namespace Cortex1.Model.Generation;

/// <summary>One sequence to generate. StopTokens default to the model's EOS ids; Adapter null = the base model.</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptTokens, SamplingOptions Sampling, int MaxTokens,
    IReadOnlyList<string>? StopStrings = null, IReadOnlyList<int>? StopTokens = null, string? Adapter = null);

/// <summary>A streamed piece: text that is safe to show, the token that produced it (null on the final flush), and
/// the finish reason on the last delta (<see cref="FinishReasons"/>).</summary>
public sealed record GenerationDelta(string Text, int? Token, string? FinishReason);

/// <summary>A finished sequence. Tokens are the generated ids (a stop token included, as GRPO scores it); Text excludes
/// stop tokens and stop strings.</summary>
public sealed record GenerationResult(string Text, IReadOnlyList<int> Tokens, string FinishReason, int PromptTokens);

/// <summary>
/// Generation over <see cref="LanguageModel"/>: prefill each prompt into its own cache, then batched decode steps
/// in which finished sequences simply drop out (no padding). Streaming and batch share the same per-sequence state.
/// </summary>
/// <param name="prefillTokenBudget">Most distinct prompt tokens prefilled in one forward (<see cref="PrefillBudget"/>).</param>
public sealed class Generator(LanguageModel model, int prefillTokenBudget = PrefillBudget.DefaultMaxTokens)
{
    /// <summary>A request being generated: its cache and stream, and the tokens and text it has produced.</summary>
    sealed class RunningRequest : IDisposable
    {
        public required GenerationRequest Request { get; init; }
        public required KvCache Cache { get; init; }
        public required TokenStream Stream { get; init; }
        public List<int> Generated { get; } = [];
        public StringBuilder Text { get; } = new();
        public string? Finish => Stream.FinishReason;
        public int Next => Stream.LastToken;
        public void Dispose() => Cache.Dispose();
    }

    RunningRequest Start(GenerationRequest r)
    {
        if (r.PromptTokens.Count == 0) throw new ArgumentException("The prompt is empty.");
        if (r.MaxTokens <= 0) throw new ArgumentException("MaxTokens must be positive.");
        if (r.PromptTokens.Count >= model.ContextLength)
            throw new ArgumentException($"The prompt has {r.PromptTokens.Count} tokens; the context length is {model.ContextLength}.");
        return new RunningRequest
        {
            Request = r,
            Cache = model.NewCache(r.Adapter),
            Stream = TokenStream.For(model, r.PromptTokens.Count, r.Sampling, r.MaxTokens, r.StopStrings ?? [], r.StopTokens),
        };
    }
    /// <summary>Samples from logits, records the token, and returns the text delta it releases (Finish set when done).</summary>
    static string Accept(RunningRequest s, float[] logits)
    {
        var delta = s.Stream.Accept(logits, s.Cache.Tokens);
        s.Generated.Add(s.Stream.LastToken);
        s.Text.Append(delta);
        return delta;
    }

    /// <summary>Streams one sequence's text deltas; the last delta carries the finish reason. Cancellation stops between tokens.</summary>
    public async IAsyncEnumerable<GenerationDelta> GenerateStreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var s = Start(request);
        var logits = await Task.Run(() => model.Prefill(s.Cache, request.PromptTokens.ToArray()), ct);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var delta = Accept(s, logits);
            yield return new GenerationDelta(delta, s.Generated[^1], s.Finish);
            if (s.Finish is not null) yield break;
            logits = await Task.Run(() => model.DecodeStep([s.Cache], [s.Next])[0], ct);
        }
    }

    /// <summary>
    /// Prefills every sequence and takes its first token, several prompts per forward. Sequences with the same prompt and
    /// adapter (a GRPO group of G completions) share one prefill inside <see cref="LanguageModel.Extend"/>; each then
    /// samples the same logits with its own sampler.
    /// </summary>
    void Prefill(List<RunningRequest> seqs, CancellationToken ct)
    {
        for (var start = 0; start < seqs.Count;)
        {
            ct.ThrowIfCancellationRequested();
            var budget = new PrefillBudget(prefillTokenBudget);
            var end = start;
            for (; end < seqs.Count && budget.Fits(seqs[end].Request.PromptTokens); end++) budget.Add(seqs[end].Request.PromptTokens);
            var chunk = seqs.GetRange(start, end - start);
            var logits = model.Extend(chunk.Select(s => s.Cache).ToList(), chunk.Select(s => s.Request.PromptTokens.ToArray()).ToList());
            for (var i = 0; i < chunk.Count; i++) Accept(chunk[i], logits[i]);
            start = end;
        }
    }

    /// <summary>Generates several sequences together (a GRPO group, or a server batch): all decode steps are batched.</summary>
    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, CancellationToken ct = default)
    {
        var seqs = new List<RunningRequest>();
        try
        {
            foreach (var r in requests) seqs.Add(Start(r));
            Prefill(seqs, ct);
            while (seqs.Where(s => s.Finish is null).ToList() is { Count: > 0 } active)
            {
                ct.ThrowIfCancellationRequested();
                var logits = model.DecodeStep(active.Select(s => s.Cache).ToList(), active.Select(s => s.Next).ToList());
                for (var i = 0; i < active.Count; i++) Accept(active[i], logits[i]);
            }
            return seqs.Select(s => new GenerationResult(s.Text.ToString(), s.Generated, s.Finish!, s.Request.PromptTokens.Count)).ToList();
        }
        finally
        {
            foreach (var s in seqs) s.Dispose();
        }
    }
}
