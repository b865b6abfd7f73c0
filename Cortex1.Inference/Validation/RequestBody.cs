using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Cortex1.Inference.Validation;

/// <summary>
/// Reads a JSON request body into a wire type, turning every way it can be wrong into a 4xx:
/// too large (413, from Kestrel's body limit), not JSON, not an object, or a field of the wrong type.
/// </summary>
public static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken ct)
    {
        // Buffered first so that a syntax error and a type error get different messages.
        var body = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(body, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw ApiException.PayloadTooLarge(request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest(
                $"We could not parse the JSON body of your request: {FirstSentence(e.Message)} Send a JSON object as the body.", null, "invalid_json");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest(
                    $"The request body must be a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.", null, "invalid_json");
            try
            {
                return document.RootElement.Deserialize(type)!;
            }
            catch (JsonException e)
            {
                var param = Param(e.Path);
                if (e.InnerException is InvalidOperationException { Message: var inner } && inner.Contains("UTF-16", StringComparison.Ordinal))
                    // System.Text.Json refuses escaped text that is not valid UTF-16 (a lone \ud800).
                    throw ApiException.BadRequest($"Invalid value for '{param}': it is not valid Unicode text (an unpaired surrogate).", param, "invalid_value");
                var reason = e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
                    ? $"expected {Expected(e.Message)}"
                    : FirstSentence(e.Message);
                throw ApiException.BadRequest($"Invalid type for '{param}': {reason}.", param, "invalid_type");
            }
        }
    }

    /// <summary>"$.messages[0].content" → "messages[0].content", OpenAI's spelling of a parameter.</summary>
    private static string? Param(string? path) =>
        path is null or "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string FirstSentence(string message)
    {
        foreach (var marker in (string[])[" Path:", " LineNumber:"])
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut >= 0) message = message[..cut];
        }
        return message.TrimEnd('.', ' ', '|') + ".";
    }

    /// <summary>Names the expected JSON type from System.Text.Json's .NET type name.</summary>
    private static string Expected(string message) =>
        message.Contains("System.Boolean", StringComparison.Ordinal) ? "a boolean" :
        message.Contains("System.Int", StringComparison.Ordinal) ? "an integer" :
        message.Contains("System.Single", StringComparison.Ordinal) || message.Contains("System.Double", StringComparison.Ordinal) ? "a number" :
        message.Contains("System.String", StringComparison.Ordinal) ? "a string" :
        message.Contains("List`1", StringComparison.Ordinal) ? "an array" :
        "an object";
}
