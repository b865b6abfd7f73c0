using System.Diagnostics;
using Cortex1.Model.Generation;
using Cortex1.Model.Modeling;

namespace Cortex1.Inference.Scheduling;

/// <summary>
/// A job being generated: its KV cache (which carries the job's adapter) and the engine's <see cref="TokenStream"/>,
/// which samples, decodes and decides the finish exactly as the engine's own Generator does. This class only turns
/// what the stream releases into the job's events. Lives on the scheduler's loop thread only.
/// </summary>
internal sealed class RunningJob(GenerationJob job, KvCache cache, TokenStream stream) : IDisposable
{
    public GenerationJob Job { get; } = job;
    public KvCache Cache { get; } = cache;
    public int LastToken => stream.LastToken;
    public int Generated => stream.Generated;
    public string? FinishReason { get; private set; }
    public long FirstTokenAt { get; private set; }

    public bool Done => FinishReason is not null;

    /// <summary>Samples the next token from <paramref name="logits"/> and reports the text it adds.</summary>
    public void Advance(float[] logits)
    {
        var text = stream.Accept(logits, Cache.Tokens);
        if (stream.Generated == 1) FirstTokenAt = Stopwatch.GetTimestamp();
        if (stream.FinishReason is { } reason)
        {
            if (text.Length > 0) Job.Events.TryWrite(new TextDelta(Job.Choice, text));
            FinishReason = reason;
            Job.Events.TryWrite(new Finished(Job.Choice, reason, Generated));
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

    public void Dispose() => Cache.Dispose();
}
