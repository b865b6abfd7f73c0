using Cortex1.Inference.OpenAi;
using Cortex1.Inference.Scheduling;
using Cortex1.Inference.Validation;

namespace Cortex1.Inference.Api;

/// <summary>What every chunk of one answer repeats (id, created, model), and the sizes it reports.</summary>
internal sealed record Reply(string Id, long Created, string Model, int PromptTokens, int N, bool ReasoningModel)
{
    public static Reply Create(string idPrefix, string model, int promptTokens, int n, bool reasoningModel) =>
        new($"{idPrefix}-{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model, promptTokens, n, reasoningModel);

    /// <summary>The engine failed while generating: not the client's fault, so a 500 that names it.</summary>
    public static ApiException EngineFailure(Failed failed) =>
        new(StatusCodes.Status500InternalServerError, failed.Message, "server_error", null, "engine_error");
}

/// <summary>How an answer ended, for the request's span.</summary>
internal sealed record Outcome(Usage Usage, IReadOnlyList<string?> FinishReasons);

/// <summary>Each choice's finish reason and the completion tokens, tallied as the choices' <see cref="Finished"/> events arrive.</summary>
internal sealed class ChoiceTally(Reply reply)
{
    private int _completionTokens;

    public string?[] FinishReasons { get; } = new string?[reply.N];

    public void Record(Finished done)
    {
        FinishReasons[done.Choice] = done.Reason;
        _completionTokens += done.CompletionTokens;
    }

    public Usage Usage => new(reply.PromptTokens, _completionTokens);

    public Outcome Outcome => new(Usage, FinishReasons);
}
