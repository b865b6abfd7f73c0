using System.Text.Json;

namespace Cortex1.Inference.Tests;

/// <summary>Every bad request gets OpenAI's error object and a 4xx, over real HTTP.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class ErrorTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    private string Chat(string fields) =>
        $$"""{"model":"{{Server.ModelName}}","messages":[{"role":"user","content":"hi"}],"max_tokens":2{{fields}}}""";

    /// <summary>The error envelope has all four keys, and the status is the one expected.</summary>
    private static JsonElement AssertError(int status, JsonElement body, int expectedStatus, string? param = null, string? code = null)
    {
        Assert.Equal(expectedStatus, status);
        var error = body.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("type").GetString()));
        Assert.True(error.TryGetProperty("param", out var p));
        Assert.True(error.TryGetProperty("code", out var c));
        if (param is not null) Assert.Equal(param, p.GetString());
        if (code is not null) Assert.Equal(code, c.GetString());
        return error;
    }

    [Theory]
    [InlineData("{\"model\": ")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("{\"model\":\"x\",}")]
    public async Task Malformed_json_is_400_invalid_json(string body)
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
        AssertError(status, json, 400, code: "invalid_json");
    }

    [Theory]
    [InlineData("[1,2,3]")]
    [InlineData("\"a string\"")]
    [InlineData("null")]
    public async Task A_body_that_is_not_an_object_is_400(string body)
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
        AssertError(status, json, 400, code: "invalid_json");
    }

    [Theory]
    [InlineData(",\"temperature\":\"hot\"", "temperature")]
    [InlineData(",\"n\":1.5", "n")]
    [InlineData(",\"stream\":\"yes\"", "stream")]
    [InlineData(",\"stop\":42", "stop")]
    [InlineData(",\"seed\":{}", "seed")]
    [InlineData(",\"stream_options\":[]", "stream_options")]
    public async Task Wrong_types_are_400_naming_the_parameter(string fields, string param)
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", Chat(fields));
        AssertError(status, json, 400, param, "invalid_type");
    }

    [Fact]
    public async Task Wrong_message_content_type_names_the_message()
    {
        var body = $$"""{"model":"{{Server.ModelName}}","messages":[{"role":"user","content":"ok"},{"role":"user","content":7}]}""";
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
        AssertError(status, json, 400, "messages[1].content", "invalid_type");
    }

    [Fact]
    public async Task Image_content_parts_are_refused_with_400()
    {
        var body = $$$"""{"model":"{{{Server.ModelName}}}","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""";
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
        AssertError(status, json, 400, "messages[0].content");
    }

    [Fact]
    public async Task Unknown_model_is_404_model_not_found()
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions",
            """{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}""");
        var error = AssertError(status, json, 404, "model", "model_not_found");
        Assert.Contains(Server.ModelName, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Missing_model_is_400()
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""");
        AssertError(status, json, 400, "model", "missing_required_parameter");
    }

    [Theory]
    [InlineData("[]", "messages", "empty_array")]
    [InlineData("null", "messages", "missing_required_parameter")]
    [InlineData("[{\"content\":\"hi\"}]", "messages[0].role", "missing_required_parameter")]
    [InlineData("[{\"role\":\"wizard\",\"content\":\"hi\"}]", "messages[0].role", "invalid_value")]
    [InlineData("[{\"role\":\"user\"}]", "messages[0].content", "missing_required_parameter")]
    [InlineData("[null]", "messages[0]", "invalid_type")]
    public async Task Bad_messages_are_400(string messages, string param, string code)
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions",
            $$"""{"model":"{{Server.ModelName}}","messages":{{messages}}}""");
        AssertError(status, json, 400, param, code);
    }

    [Theory]
    [InlineData("temperature", "2.5")]
    [InlineData("temperature", "-0.1")]
    [InlineData("top_p", "0")]
    [InlineData("top_p", "1.01")]
    [InlineData("top_k", "-2")]
    [InlineData("presence_penalty", "3")]
    [InlineData("frequency_penalty", "-2.5")]
    [InlineData("repetition_penalty", "0")]
    [InlineData("n", "0")]
    [InlineData("n", "1000")]
    [InlineData("max_tokens", "0")]
    [InlineData("max_completion_tokens", "-1")]
    public async Task Out_of_range_sampling_values_are_400(string param, string value)
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", Chat($",\"{param}\":{value}"));
        AssertError(status, json, 400, param, "invalid_value");
    }

    [Fact]
    public async Task A_lone_surrogate_in_content_is_400_not_a_tokenizer_crash()
    {
        var body = $$"""{"model":"{{Server.ModelName}}","messages":[{"role":"user","content":"bad \ud800 text"}]}""";
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
        AssertError(status, json, 400, "messages[0].content", "invalid_value");
        var completion = await Server.PostAsync("v1/completions", $$"""{"model":"{{Server.ModelName}}","prompt":"\udfff"}""");
        AssertError(completion.Status, completion.Body, 400, "prompt", "invalid_value");
    }

    [Fact]
    public async Task Json_response_formats_are_refused_rather_than_not_enforced()
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", Chat(",\"response_format\":{\"type\":\"json_object\"}"));
        AssertError(status, json, 400, "response_format", "unsupported_parameter");
        var text = await Server.PostAsync("v1/chat/completions", Chat(",\"response_format\":{\"type\":\"text\"}"));
        Assert.Equal(200, text.Status);
    }

    [Fact]
    public async Task Too_many_stop_sequences_are_400()
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", Chat(",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"));
        AssertError(status, json, 400, "stop");
    }

    [Fact]
    public async Task Stream_options_without_stream_is_400()
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", Chat(",\"stream_options\":{\"include_usage\":true}"));
        AssertError(status, json, 400, "stream_options");
    }

    [Fact]
    public async Task Tools_are_refused_rather_than_ignored()
    {
        var (status, json, _) = await Server.PostAsync("v1/chat/completions",
            Chat(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]"));
        AssertError(status, json, 400, "tools", "unsupported_parameter");
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_context_length_exceeded()
    {
        var context = Server.Host.Model.ContextLength;
        // "7 " is two tokens in two bytes, so a prompt past the 16k context stays under the body limit (64 KiB here).
        var content = string.Concat(Enumerable.Repeat("7 ", context + 10));
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", new
        {
            model = Server.ModelName,
            messages = new[] { new { role = "user", content } },
        });
        AssertError(status, json, 400, "messages", "context_length_exceeded");
    }

    [Fact]
    public async Task Max_tokens_past_the_context_is_context_length_exceeded()
    {
        var context = Server.Host.Model.ContextLength;
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", Chat($",\"max_completion_tokens\":{context}"));
        AssertError(status, json, 400, "max_completion_tokens", "context_length_exceeded");
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413()
    {
        var content = new string('x', 70 * 1024); // the shared server accepts 64 KiB
        var (status, json, _) = await Server.PostAsync("v1/chat/completions", new
        {
            model = Server.ModelName,
            messages = new[] { new { role = "user", content } },
        });
        AssertError(status, json, 413, code: "request_too_large");
    }

    [Fact]
    public async Task Unknown_urls_and_methods_get_json_errors()
    {
        using var missing = await Server.Http.GetAsync("v1/nothing-here");
        AssertError((int)missing.StatusCode, JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement, 404, code: "unknown_url");
        using var wrongMethod = await Server.Http.GetAsync("v1/chat/completions");
        AssertError((int)wrongMethod.StatusCode, JsonDocument.Parse(await wrongMethod.Content.ReadAsStringAsync()).RootElement, 405);
    }

    [Theory]
    [InlineData("{\"model\":\"M\"}", "prompt", "missing_required_parameter")]
    [InlineData("{\"model\":\"M\",\"prompt\":[]}", "prompt", "empty_array")]
    [InlineData("{\"model\":\"M\",\"prompt\":[1,2]}", "prompt", "invalid_type")]
    [InlineData("{\"model\":\"M\",\"prompt\":\"hi\",\"suffix\":\"x\"}", "suffix", "unsupported_parameter")]
    [InlineData("{\"model\":\"M\",\"prompt\":\"hi\",\"max_tokens\":\"9\"}", "max_tokens", "invalid_type")]
    public async Task Bad_completion_requests_are_400(string body, string param, string code)
    {
        var (status, json, _) = await Server.PostAsync("v1/completions", body.Replace("\"M\"", $"\"{Server.ModelName}\""));
        AssertError(status, json, 400, param, code);
    }

    /// <summary>
    /// Mangled variants of a valid request (truncated, bytes flipped, values swapped for other JSON
    /// types): whatever arrives, the answer is a 2xx or a 4xx with an error object, never a 5xx.
    /// </summary>
    [Fact]
    public async Task No_mangled_request_produces_a_5xx()
    {
        // max_completion_tokens bounds the bodies that stay valid once max_tokens is mangled away.
        var valid = Chat(",\"temperature\":0.5,\"stop\":[\"\\n\"],\"n\":1,\"max_completion_tokens\":2");
        var random = new Random(7);
        var replacements = new[] { "null", "true", "-1", "1e309", "\"\"", "[]", "{}", "[[[]]]", "\"\\u0000\"", "18446744073709551616" };
        var bodies = new List<string>();
        for (var cut = 1; cut < valid.Length; cut += 7) bodies.Add(valid[..cut]);
        for (var i = 0; i < 40; i++)
        {
            var chars = valid.ToCharArray();
            chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
            bodies.Add(new string(chars));
        }
        foreach (var field in new[] { "model", "messages", "max_tokens", "temperature", "stop", "n" })
            foreach (var replacement in replacements)
            {
                var node = System.Text.Json.Nodes.JsonNode.Parse(valid)!.AsObject();
                node[field] = "__value__";
                bodies.Add(node.ToJsonString().Replace("\"__value__\"", replacement));
            }
        foreach (var body in bodies)
        {
            var (status, json, _) = await Server.PostAsync("v1/chat/completions", body);
            Assert.True(status < 500, $"{status} for body {body}");
            if (status >= 400) Assert.True(json.TryGetProperty("error", out _), $"no error object for body {body}");
        }
    }
}
