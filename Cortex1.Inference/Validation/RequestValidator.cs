using System.Text.Json;
using Cortex1.Inference.OpenAi;

namespace Cortex1.Inference.Validation;

/// <summary>
/// The ranges OpenAI (and vLLM, for its extensions) accept, checked before anything is queued so
/// that a bad value is a 400 naming the parameter, never a failure inside the engine.
/// </summary>
public static class RequestValidator
{
    public const int MaxStopStrings = 4;
    public const int MaxN = 128;
    public const int MaxLogitBiasEntries = 300;

    public static readonly IReadOnlySet<string> Roles = new HashSet<string> { "system", "developer", "user", "assistant" };

    public static void Validate(ChatCompletionRequest request)
    {
        ValidateSampling(request);
        if (request.Messages is null)
            throw ApiException.BadRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        if (request.Messages.Count == 0)
            throw ApiException.BadRequest("'messages' must contain at least one message.", "messages", "empty_array");
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            var param = $"messages[{i}]";
            if (message is null)
                throw ApiException.BadRequest($"Invalid value for '{param}': a message must be an object.", param, "invalid_type");
            if (message.Role is null)
                throw ApiException.BadRequest($"Missing required parameter: '{param}.role'.", $"{param}.role", "missing_required_parameter");
            if (!Roles.Contains(message.Role))
                throw ApiException.BadRequest(
                    $"Invalid value for '{param}.role': '{message.Role}'. Supported roles: {string.Join(", ", Roles)}.", $"{param}.role", "invalid_value");
            if (message.Content is null && message.Role != "assistant")
                throw ApiException.BadRequest($"Missing required parameter: '{param}.content'.", $"{param}.content", "missing_required_parameter");
        }
        if (request.MaxCompletionTokens is { } max and < 1)
            throw ApiException.OutOfRange("max_completion_tokens", max, "at least 1");
        if (request.Tools is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
            throw ApiException.Unsupported("tools", "tool calling is not served; send the conversation as messages.");
        if (request.Logprobs == true)
            throw ApiException.Unsupported("logprobs", "log probabilities are not returned.");
        if (request.ResponseFormat is { ValueKind: JsonValueKind.Object } format
            && !(format.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "text"))
            throw ApiException.Unsupported("response_format", "only {\"type\":\"text\"} is served; JSON output is not enforced.");
    }

    public static void Validate(CompletionRequest request)
    {
        ValidateSampling(request);
        if (request.Prompt is null)
            throw ApiException.BadRequest("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
        if (request.Prompt.Count == 0)
            throw ApiException.BadRequest("'prompt' must contain at least one prompt.", "prompt", "empty_array");
        if (request.Suffix is not null)
            throw ApiException.Unsupported("suffix", "insertion is not served.");
        if (request.Logprobs is not null)
            throw ApiException.Unsupported("logprobs", "log probabilities are not returned.");
    }

    /// <summary>OpenAI's rules (an object of at most 300 token ids, each biased by -100 to 100); a valid non-empty one is refused.</summary>
    private static void ValidateLogitBias(JsonElement bias)
    {
        if (bias.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("Invalid type for 'logit_bias': expected an object mapping token ids to biases.", "logit_bias", "invalid_type");
        var count = 0;
        foreach (var entry in bias.EnumerateObject())
        {
            if (++count > MaxLogitBiasEntries)
                throw ApiException.BadRequest(
                    $"Invalid 'logit_bias': it may hold at most {MaxLogitBiasEntries} entries; it has {bias.EnumerateObject().Count()}.", "logit_bias", "invalid_value");
            if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                throw ApiException.BadRequest($"Invalid key in 'logit_bias': '{entry.Name}' is not a token id.", "logit_bias", "invalid_value");
            if (entry.Value.ValueKind != JsonValueKind.Number)
                throw ApiException.BadRequest($"Invalid type for 'logit_bias.{entry.Name}': expected a number.", "logit_bias", "invalid_type");
            if (!entry.Value.TryGetDouble(out var value) || value is < -100 or > 100)
                throw ApiException.OutOfRange("logit_bias", $"{entry.Value.GetRawText()} for token {entry.Name}", "between -100 and 100");
        }
        if (count > 0)
            throw ApiException.Unsupported("logit_bias", "the sampler applies no token biases; send the request without it.");
    }

    private static void ValidateSampling(SamplingRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Model))
            throw ApiException.BadRequest("You must provide a model parameter.", "model", "missing_required_parameter");
        if (request.MaxTokens is { } maxTokens and < 1)
            throw ApiException.OutOfRange("max_tokens", maxTokens, "at least 1");
        if (request.Temperature is { } t && !(t is >= 0 and <= 2))
            throw ApiException.OutOfRange("temperature", t, "between 0 and 2");
        if (request.TopP is { } p && !(p is > 0 and <= 1))
            throw ApiException.OutOfRange("top_p", p, "greater than 0 and at most 1");
        if (request.TopK is { } k and < -1)
            throw ApiException.OutOfRange("top_k", k, "-1 or 0 (no limit) or a positive number of tokens");
        if (request.PresencePenalty is { } presence && !(presence is >= -2 and <= 2))
            throw ApiException.OutOfRange("presence_penalty", presence, "between -2 and 2");
        if (request.FrequencyPenalty is { } frequency && !(frequency is >= -2 and <= 2))
            throw ApiException.OutOfRange("frequency_penalty", frequency, "between -2 and 2");
        if (request.RepetitionPenalty is { } repetition && !(repetition is > 0 and <= 2))
            throw ApiException.OutOfRange("repetition_penalty", repetition, "greater than 0 and at most 2 (1 means none)");
        if (request.N is { } n && !(n is >= 1 and <= MaxN))
            throw ApiException.OutOfRange("n", n, $"between 1 and {MaxN}");
        if (request.Stop is { } stop)
        {
            if (stop.Count > MaxStopStrings)
                throw ApiException.BadRequest($"'stop' may hold at most {MaxStopStrings} sequences; it has {stop.Count}.", "stop", "invalid_value");
            if (stop.Any(string.IsNullOrEmpty))
                throw ApiException.BadRequest("'stop' sequences must not be empty strings.", "stop", "invalid_value");
        }
        if (request.LogitBias is { ValueKind: not JsonValueKind.Null } bias)
            ValidateLogitBias(bias);
        if (request.StreamOptions is not null && request.Stream != true)
            throw ApiException.BadRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", "invalid_value");
    }
}
