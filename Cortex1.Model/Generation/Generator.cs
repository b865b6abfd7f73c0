using System.Runtime.CompilerServices;
using System.Text;
using Cortex1.Model.Modeling;

namespace Cortex1.Model.Generation;

/// <summary>One sequence to generate. StopTokens default to the model's EOS ids; Adapter null = the model's ActiveAdapter.</summary>
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
public sealed class Generator(LanguageModel model)
{
    sealed class Sequence : IDisposable
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

    Sequence Start(GenerationRequest r)
    {
        if (r.PromptTokens.Count == 0) throw new ArgumentException("The prompt is empty.");
        if (r.MaxTokens <= 0) throw new ArgumentException("MaxTokens must be positive.");
        if (r.PromptTokens.Count >= model.ContextLength)
            throw new ArgumentException($"The prompt has {r.PromptTokens.Count} tokens; the context length is {model.ContextLength}.");
        var stops = new StopChecker(r.StopTokens ?? model.Tokenizer.EosTokenIds, r.StopStrings ?? []);
        return new Sequence
        {
            Request = r,
            Cache = model.NewCache(r.Adapter),
            Stream = new TokenStream(new Sampler(r.Sampling), new IncrementalDecoder(model.Tokenizer, skipSpecial: true), stops,
                r.PromptTokens.Count, r.MaxTokens, model.ContextLength),
        };
    }

    /// <summary>Samples from logits, records the token, and returns the text delta it releases (Finish set when done).</summary>
    static string Accept(Sequence s, float[] logits)
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

    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken ct = default) =>
        (await GenerateBatchAsync([request], ct))[0];

    /// <summary>Generates several sequences together (a GRPO group, or a server batch): all decode steps are batched.</summary>
    public Task<IReadOnlyList<GenerationResult>> GenerateBatchAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken ct = default) =>
        Task.Run(() => GenerateBatch(requests, ct), ct);

    /// <summary>Most distinct prompt tokens in one prefill forward.</summary>
    const int PrefillTokenBudget = 8192;

    /// <summary>
    /// Prefills every sequence and takes its first token, several prompts per forward. Sequences with the same prompt and
    /// adapter (a GRPO group of G completions) share one prefill inside <see cref="LanguageModel.Extend"/>; each then
    /// samples the same logits with its own sampler. A repeat of the previous prompt costs the budget nothing.
    /// </summary>
    void Prefill(List<Sequence> seqs, CancellationToken ct)
    {
        for (var start = 0; start < seqs.Count;)
        {
            ct.ThrowIfCancellationRequested();
            var end = start;
            for (var tokens = 0; end < seqs.Count; end++)
            {
                var prompt = seqs[end].Request.PromptTokens;
                var added = end > start && prompt.SequenceEqual(seqs[end - 1].Request.PromptTokens) ? 0 : prompt.Count;
                if (end > start && tokens + added > PrefillTokenBudget) break;
                tokens += added;
            }
            var chunk = seqs.GetRange(start, end - start);
            var logits = model.Extend(chunk.Select(s => s.Cache).ToList(), chunk.Select(s => s.Request.PromptTokens.ToArray()).ToList());
            for (var i = 0; i < chunk.Count; i++) Accept(chunk[i], logits[i]);
            start = end;
        }
    }

    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, CancellationToken ct = default)
    {
        var seqs = new List<Sequence>();
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
