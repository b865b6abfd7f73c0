using System.Diagnostics;
using Cortex1.Model.Generation;
using Cortex1.Model.Modeling;

namespace Cortex1.Inference.Scheduling;

/// <summary>
/// A job being generated: its KV cache (which carries the job's adapter), sampler, and the engine's
/// incremental decoder and stop checker that turn tokens into safe text deltas. Lives on the
/// scheduler's loop thread only.
/// </summary>
internal sealed class Sequence(GenerationJob job, KvCache cache, Sampler sampler, IncrementalDecoder decoder, StopChecker stops)
    : IDisposable
{
    public GenerationJob Job { get; } = job;
    public KvCache Cache { get; } = cache;
    public int LastToken { get; private set; }
    public int Generated { get; private set; }
    public string? FinishReason { get; private set; }
    public long FirstTokenAt { get; private set; }

    public bool Done => FinishReason is not null;

    /// <summary>Samples the next token from <paramref name="logits"/> and reports the text it adds.</summary>
    public void Advance(float[] logits, int contextLength)
    {
        // Penalties see the whole sequence so far, as the engine's own Generator does.
        var token = sampler.Sample(logits, Cache.Tokens);
        if (Generated++ == 0) FirstTokenAt = Stopwatch.GetTimestamp();
        LastToken = token;

        if (stops.IsStopToken(token))
        {
            Finish(FinishReasons.Stop, stops.Push(decoder.Flush()) + stops.Flush());
            return;
        }
        var text = stops.Push(decoder.Add(token));
        if (stops.Stopped)
        {
            Finish(FinishReasons.Stop, text);
            return;
        }
        // The client's limit is reached, or the next step would write past the model's context.
        if (Generated >= Job.Parameters.MaxTokens || Job.PromptTokens.Length + Generated >= contextLength)
        {
            text += stops.Push(decoder.Flush());
            Finish(stops.Stopped ? FinishReasons.Stop : FinishReasons.Length, text + stops.Flush());
            return;
        }
        // One event per token, even when it adds no text yet (half a UTF-8 character, a held-back
        // stop prefix, a special token): streams then move token by token, as vLLM's and OpenAI's do.
        Job.Events.TryWrite(new TextDelta(Job.Choice, text));
    }

    /// <summary>The client went away: stop at once, report nothing.</summary>
    public void Cancel() => FinishReason = "cancelled";

    public void Fail(string message)
    {
        FinishReason = "error";
        Job.Events.TryWrite(new Failed(Job.Choice, message));
    }

    private void Finish(string reason, string lastText)
    {
        Emit(lastText);
        FinishReason = reason;
        Job.Events.TryWrite(new Finished(Job.Choice, reason, Generated));
    }

    private void Emit(string text)
    {
        if (text.Length > 0) Job.Events.TryWrite(new TextDelta(Job.Choice, text));
    }

    public void Dispose() => Cache.Dispose();
}
