using Cortex1.Inference.OpenAi;
using Cortex1.Inference.Scheduling;
using Cortex1.Inference.Validation;
using Cortex1.Model.Generation;

namespace Cortex1.Inference.Api;

/// <summary>
/// Turns a validated request into what the scheduler runs: OpenAI's defaults for absent fields, the
/// completion length checked against the room the prompt leaves in the context.
/// </summary>
public static class GenerationPlanner
{
    /// <param name="maxTokens">The client's limit, if any.</param>
    /// <param name="maxTokensParam">Its field name, for the error.</param>
    /// <param name="defaultMaxTokens">Used when the client sets none (null = the rest of the context).</param>
    /// <param name="promptParam">The field that holds the prompt (messages or prompt), for the error.</param>
    public static GenerationParams Plan(SamplingRequest request, int? maxTokens, string maxTokensParam, int? defaultMaxTokens,
        int promptTokens, int contextLength, string promptParam)
    {
        if (promptTokens >= contextLength)
            throw ApiException.ContextLengthExceeded(contextLength, promptTokens, null, promptParam);
        var room = contextLength - promptTokens;
        if (maxTokens > room)
            throw ApiException.ContextLengthExceeded(contextLength, promptTokens, maxTokens, maxTokensParam);

        var sampling = new SamplingOptions(
            Temperature: request.Temperature ?? 1f,
            TopP: request.TopP ?? 1f,
            TopK: Math.Max(0, request.TopK ?? 0),
            RepetitionPenalty: request.RepetitionPenalty ?? 1f,
            PresencePenalty: request.PresencePenalty ?? 0f,
            FrequencyPenalty: request.FrequencyPenalty ?? 0f,
            // Always seeded, so that choice i of a request gets seed + i and choices differ.
            Seed: request.Seed is { } seed ? unchecked((int)(seed ^ (seed >>> 32))) : Random.Shared.Next());
        return new GenerationParams(
            maxTokens ?? Math.Min(room, defaultMaxTokens ?? room), sampling, request.Stop ?? [], request.IgnoreEos ?? false);
    }
}
