using System.Net;
using System.Text.Json;

namespace Cortex1.Inference.Tests;

public sealed class HealthTests
{
    /// <summary>With no model to serve, health says why and requests get 503 with Retry-After; bad input is still 400.</summary>
    [Fact]
    public async Task Health_is_unhealthy_and_requests_503_until_a_model_is_loaded()
    {
        await using var server = await InferenceServer.StartAsync(
            new Dictionary<string, string> { ["Inference:Model"] = "/nonexistent/model-folder" }, waitUntilHealthy: false);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!server.Host.State.StartsWith("failed", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(50);

        using var health = await server.Http.GetAsync("health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);

        var (status, json, response) = await server.PostAsync("v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(503, status);
        Assert.Equal("model_not_ready", json.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("/nonexistent/model-folder", json.GetProperty("error").GetProperty("message").GetString());
        Assert.NotNull(response.Headers.RetryAfter);

        var bad = await server.PostAsync("v1/chat/completions", """{"model":"m","messages":[]}""");
        Assert.Equal(400, bad.Status);
    }
}
