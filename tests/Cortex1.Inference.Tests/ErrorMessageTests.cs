using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cortex1.Inference.Tests;

/// <summary>The words of the errors, not only their status: each names the right cause, number and parameter.</summary>
[Collection(SharedServerCollection.Name)]
public sealed partial class ErrorMessageTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    private string Chat(string fields) =>
        $$"""{"model":"{{Server.ModelName}}","messages":[{"role":"user","content":"hi"}]{{fields}}}""";

    private static JsonElement Error(int status, JsonElement body, int expectedStatus, string? param, string code)
    {
        Assert.True(status == expectedStatus, $"{status}: {body}");
        var error = body.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        return error;
    }

    [Fact]
    public async Task The_largest_max_tokens_is_added_up_without_overflow()
    {
        var (status, body, _) = await Server.PostAsync("v1/chat/completions", Chat(",\"max_tokens\":2147483647"));
        var message = Error(status, body, 400, "max_tokens", "context_length_exceeded").GetProperty("message").GetString()!;
        var m = Requested().Match(message);
        Assert.True(m.Success, message);
        var prompt = long.Parse(m.Groups[2].Value);
        Assert.True(prompt > 0);
        Assert.Equal(prompt + int.MaxValue, long.Parse(m.Groups[1].Value));
        Assert.Equal(int.MaxValue.ToString(), m.Groups[3].Value);
    }

    [GeneratedRegex(@"you requested (\d+) tokens \((\d+) in the prompt, (\d+) for the completion\)")]
    private static partial Regex Requested();

    [Theory]
    [InlineData(",\"max_tokens\":2147483648", "max_tokens", "Invalid value for 'max_tokens': 2147483648. It must be an integer between -2147483648 and 2147483647.")]
    [InlineData(",\"n\":99999999999", "n", "Invalid value for 'n': 99999999999. It must be an integer between -2147483648 and 2147483647.")]
    [InlineData(",\"seed\":1180591620717411303424", "seed", "Invalid value for 'seed': 1180591620717411303424. It must be an integer between -9223372036854775808 and 9223372036854775807.")]
    public async Task Integers_too_large_for_their_field_say_so(string fields, string param, string expected)
    {
        var (status, body, _) = await Server.PostAsync("v1/chat/completions", Chat(fields));
        Assert.Equal(expected, Error(status, body, 400, param, "invalid_value").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(",\"seed\":{}", "seed", "Invalid type for 'seed': expected an integer.")]
    [InlineData(",\"max_tokens\":1.5", "max_tokens", "Invalid type for 'max_tokens': expected an integer.")]
    [InlineData(",\"temperature\":\"hot\"", "temperature", "Invalid type for 'temperature': expected a number.")]
    [InlineData(",\"stream\":1", "stream", "Invalid type for 'stream': expected a boolean.")]
    [InlineData(",\"model\":7", "model", "Invalid type for 'model': expected a string.")]
    public async Task Wrong_types_name_the_type_the_field_takes(string fields, string param, string expected)
    {
        var (status, body, _) = await Server.PostAsync("v1/chat/completions", Chat(fields));
        Assert.Equal(expected, Error(status, body, 400, param, "invalid_type").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Invalid_utf8_is_reported_as_invalid_utf8()
    {
        var head = Encoding.UTF8.GetBytes($$"""{"model":"{{Server.ModelName}}","messages":[{"role":"user","content":"bad """);
        byte[] bytes = [.. head, 0xFF, 0xFE, .. Encoding.UTF8.GetBytes(" text\"}]}")];
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await Server.Http.PostAsync("v1/chat/completions", content);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Invalid value for 'messages[0].content': it is not valid UTF-8 text. Send the body as UTF-8.",
            Error((int)response.StatusCode, body, 400, "messages[0].content", "invalid_value").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_megabyte_authorization_header_gets_an_error_object_with_431()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(Chat(""), Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string('k', 1024 * 1024));
        using var response = await Server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = Error((int)response.StatusCode, JsonDocument.Parse(text).RootElement, 431, null, "request_headers_too_large");
        Assert.StartsWith("The request headers are 10", error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Logit_bias_is_validated_as_openai_does_then_refused_not_ignored()
    {
        var tooMany = string.Join(',', Enumerable.Range(0, 301).Select(i => $"\"{i}\":1"));
        var cases = new (string Bias, string Code, string Message)[]
        {
            ($"{{{tooMany}}}", "invalid_value", "Invalid 'logit_bias': it may hold at most 300 entries; it has 301."),
            ("{\"5\":1e308}", "invalid_value", "Invalid value for 'logit_bias': 1e308 for token 5. It must be between -100 and 100."),
            ("{\"5\":-100.5}", "invalid_value", "Invalid value for 'logit_bias': -100.5 for token 5. It must be between -100 and 100."),
            ("{\"five\":1}", "invalid_value", "Invalid key in 'logit_bias': 'five' is not a token id."),
            ("{\"5\":\"1\"}", "invalid_type", "Invalid type for 'logit_bias.5': expected a number."),
            ("[1]", "invalid_type", "Invalid type for 'logit_bias': expected an object mapping token ids to biases."),
            ("{\"5\":100,\"6\":-100}", "unsupported_parameter", "'logit_bias' is not supported by this server: the sampler applies no token biases; send the request without it."),
        };
        foreach (var (bias, code, message) in cases)
        {
            var (status, body, _) = await Server.PostAsync("v1/chat/completions", Chat($",\"max_tokens\":1,\"logit_bias\":{bias}"));
            Assert.Equal(message, Error(status, body, 400, "logit_bias", code).GetProperty("message").GetString());
        }
        // Nothing to apply: an empty bias (or null) changes nothing and is served.
        Assert.Equal(200, (await Server.PostAsync("v1/chat/completions", Chat(",\"max_tokens\":1,\"logit_bias\":{}"))).Status);
        Assert.Equal(200, (await Server.PostAsync("v1/completions", $$"""{"model":"{{Server.ModelName}}","prompt":"hi","max_tokens":1,"logit_bias":null}""")).Status);
    }
}
