using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization.Metadata;

namespace Cortex1.Inference.Validation;

/// <summary>
/// Reads a JSON request body into a wire type, turning every way it can be wrong into a 4xx:
/// too large (413, from Kestrel's body limit), not JSON, not an object, or a field of the wrong type.
/// </summary>
public static partial class RequestBody
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
                if (e.InnerException is InvalidOperationException { Message: var inner } && inner.Contains("UTF-", StringComparison.Ordinal))
                    throw ApiException.BadRequest(inner.Contains("UTF-8", StringComparison.Ordinal)
                            // Raw bytes that are not UTF-8 (System.Text.Json cannot transcode them).
                            ? $"Invalid value for '{param}': it is not valid UTF-8 text. Send the body as UTF-8."
                            // Escaped text that is not valid UTF-16 (a lone \ud800).
                            : $"Invalid value for '{param}': it is not valid Unicode text (an unpaired surrogate).",
                        param, "invalid_value");
                var target = TargetType(type, param);
                if (target is not null && IsInteger(target) && document.RootElement.TryGetProperty(param!, out var value)
                    && value.ValueKind == JsonValueKind.Number && WholeNumber().IsMatch(value.GetRawText()))
                    // A whole number too large for the field: a value error, not a type error.
                    throw ApiException.OutOfRange(param!, value.GetRawText(), $"an integer between {MinOf(target)} and {MaxOf(target)}");
                var reason = e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
                    ? $"expected {(target is null ? Expected(e.Message) : Expected(target))}"
                    : FirstSentence(e.Message);
                throw ApiException.BadRequest($"Invalid type for '{param}': {reason}.", param, "invalid_type");
            }
        }
    }

    /// <summary>
    /// The .NET type of a top-level field (null for nested paths): the generated serializer's error
    /// names the object being read, not the field, so its message cannot tell what was expected.
    /// </summary>
    private static Type? TargetType(JsonTypeInfo type, string? param)
    {
        if (param is null || type.Kind != JsonTypeInfoKind.Object) return null;
        var property = type.Properties.FirstOrDefault(p => p.Name == param)?.PropertyType;
        return property is null ? null : Nullable.GetUnderlyingType(property) ?? property;
    }

    private static bool IsInteger(Type t) => t == typeof(int) || t == typeof(long);

    private static string MinOf(Type t) => t == typeof(int) ? int.MinValue.ToString(CultureInfo.InvariantCulture) : long.MinValue.ToString(CultureInfo.InvariantCulture);

    private static string MaxOf(Type t) => t == typeof(int) ? int.MaxValue.ToString(CultureInfo.InvariantCulture) : long.MaxValue.ToString(CultureInfo.InvariantCulture);

    private static string Expected(Type t) =>
        t == typeof(bool) ? "a boolean" :
        IsInteger(t) ? "an integer" :
        t == typeof(float) || t == typeof(double) ? "a number" :
        t == typeof(string) ? "a string" :
        t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) ? "an array" :
        "an object";

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex WholeNumber();

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
