using System.ClientModel;
using System.Threading.RateLimiting;
using Cortex1.Data.Jobs;
using Cortex1.Synth.Generation;
using Microsoft.Extensions.AI;

namespace Cortex1.Synth.Teachers;

/// <summary>
/// A teacher behind <see cref="IChatClient"/> (OpenRouter, DeepSeek, vLLM, Ollama, our own Inference).
/// The prompt goes in as the only user message — no system prompt, as DeepSeek advises for R1 — and
/// both the reasoning and the answer come back. Retries and the per-minute limit live in the HTTP
/// pipeline (<see cref="TeacherHttp"/>); this class holds the concurrency limit and turns refusals
/// that retrying cannot fix (401, 402, 403, 404) into <see cref="PermanentJobException"/>.
/// </summary>
public sealed class ChatTeacher(IChatClient client, string name, TeacherOptions options, string endpoint) : ITeacher, IDisposable
{
    private readonly ConcurrencyLimiter _inFlight = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = Math.Max(1, options.MaxConcurrency),
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public string Name => name;
    public int MaxConcurrency => Math.Max(1, options.MaxConcurrency);

    public async Task<TeacherAnswer> AnswerAsync(SynthTask task, string prompt, CancellationToken ct)
    {
        using var lease = await _inFlight.AcquireAsync(1, ct);
        var chatOptions = new ChatOptions
        {
            Temperature = options.Temperature,
            TopP = options.TopP,
            MaxOutputTokens = options.MaxOutputTokens,
        };
        ChatResponse response;
        try
        {
            response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], chatOptions, ct);
        }
        catch (ClientResultException e) when (Refusal(e.Status) is { } why)
        {
            throw new PermanentJobException($"Teacher {name} at {endpoint} answered {e.Status} {why} Generation stopped.", e);
        }
        var answer = ReasoningExtractor.Extract(response);
        if (string.IsNullOrWhiteSpace(answer.Answer))
            throw new TeacherEmptyAnswerException($"Teacher {name} returned no answer for {task.Key} (finish reason: {response.FinishReason?.Value ?? "none"}).");
        return answer;
    }

    /// <summary>What a status that retrying cannot fix means, in words; null for any other status.</summary>
    public static string? Refusal(int status) => status switch
    {
        401 => "Unauthorized: the API key (Teacher:ApiKey) is missing, wrong or revoked.",
        402 => "Payment Required: the account has no credits left for this model (top up, or use --teacher offline).",
        403 => "Forbidden: the key may not use this model.",
        404 => "Not Found: check Teacher:BaseUrl and Teacher:Model.",
        _ => null,
    };

    public void Dispose()
    {
        _inFlight.Dispose();
        (client as IDisposable)?.Dispose();
    }
}

/// <summary>A reply with reasoning but no answer (e.g. cut off by the token limit): that task is skipped, not the run.</summary>
public sealed class TeacherEmptyAnswerException(string message) : Exception(message);
