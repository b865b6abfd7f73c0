using Cortex1.Inference.OpenAi;

namespace Cortex1.Inference.Validation;

/// <summary>
/// A request the server answers with an OpenAI-style error and a status code, never a crash.
/// Thrown anywhere in a request; <see cref="OpenAiErrorMiddleware"/> writes it.
/// </summary>
public sealed class ApiException(int statusCode, string message, string type, string? param = null, string? code = null)
    : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    /// <summary>Sent as the Retry-After header (whole seconds) on 429 and 503.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public ErrorResponse ToResponse() => new(new ErrorBody(Message, Type, Param, Code));

    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    public static ApiException OutOfRange(string param, object? value, string range) =>
        BadRequest($"Invalid value for '{param}': {value}. It must be {range}.", param, "invalid_value");

    public static ApiException Unsupported(string param, string why) =>
        BadRequest($"'{param}' is not supported by this server: {why}", param, "unsupported_parameter");

    public static ApiException ModelNotFound(string model, IEnumerable<string> served) =>
        new(StatusCodes.Status404NotFound,
            $"The model '{model}' does not exist. Served models: {string.Join(", ", served)}.",
            "invalid_request_error", "model", "model_not_found");

    public static ApiException ContextLengthExceeded(int contextLength, int promptTokens, int? maxTokens, string param) =>
        BadRequest(maxTokens is null
                ? $"This model's maximum context length is {contextLength} tokens. However, your prompt has {promptTokens} tokens, which leaves no room for a completion. Please shorten the prompt."
                : $"This model's maximum context length is {contextLength} tokens. However, you requested {(long)promptTokens + maxTokens} tokens ({promptTokens} in the prompt, {maxTokens} for the completion). Please reduce the prompt or the completion length.",
            param, "context_length_exceeded");

    /// <summary>A prompt refused from its length before tokenising: its size in tokens is only known from below.</summary>
    public static ApiException ContextLengthExceeded(int contextLength, long atLeastTokens, string param) =>
        BadRequest($"This model's maximum context length is {contextLength} tokens. However, your prompt has at least {atLeastTokens} tokens, which leaves no room for a completion. Please shorten the prompt.",
            param, "context_length_exceeded");

    public static ApiException Overloaded(TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests,
            "The server is at capacity: every batch slot and queue place is taken. Retry after the time in the Retry-After header.",
            "rate_limit_error", null, "rate_limit_exceeded") { RetryAfter = retryAfter };

    public static ApiException Unauthorized(bool keySent) =>
        new(StatusCodes.Status401Unauthorized,
            keySent
                ? "Incorrect API key provided."
                : "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'.",
            "invalid_request_error", null, "invalid_api_key");

    public static ApiException PayloadTooLarge(long? limit) =>
        new(StatusCodes.Status413PayloadTooLarge,
            $"The request body is larger than this server accepts{(limit is null ? "" : $" ({limit} bytes)")}.",
            "invalid_request_error", null, "request_too_large");

    public static ApiException HeadersTooLarge(long size, int limit) =>
        new(StatusCodes.Status431RequestHeaderFieldsTooLarge,
            $"The request headers are {size} bytes; this server accepts at most {limit}. Check the Authorization header and cookies.",
            "invalid_request_error", null, "request_headers_too_large");

    public static ApiException ModelLoading(string state) =>
        new(StatusCodes.Status503ServiceUnavailable,
            $"The model is not ready: {state}. Retry after the time in the Retry-After header.",
            "server_error", null, "model_not_ready") { RetryAfter = TimeSpan.FromSeconds(5) };
}
