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
