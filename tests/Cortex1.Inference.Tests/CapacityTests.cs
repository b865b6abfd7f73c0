using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Cortex1.Inference.Tests;

/// <summary>A server with one batch slot, no queue, and an API key: 401s, 429s, and disconnects.</summary>
public sealed class RestrictedServer : IAsyncLifetime
{
    public const string ApiKey = "test-key-7c1e";

    public InferenceServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await InferenceServer.StartAsync(new Dictionary<string, string>
        {
            ["Inference:ApiKey"] = ApiKey,
            ["Inference:MaxBatchSize"] = "1",
            ["Inference:MaxQueue"] = "0",
        });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class CapacityTests(RestrictedServer restricted) : IClassFixture<RestrictedServer>
{
    private InferenceServer Server => restricted.Server;

    private object LongStream() => new
    {
        model = Server.ModelName,
        messages = new[] { new { role = "user", content = "Write everything you know." } },
        max_tokens = Server.Host.Model.ContextLength - 64, temperature = 0, ignore_eos = true, stream = true,
    };

    [Fact]
    public async Task Without_the_key_v1_is_401_and_health_stays_open()
    {
        using var anonymous = new HttpClient { BaseAddress = Server.BaseUrl };
        using var missing = await anonymous.GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        var error = JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        using var wrong = await anonymous.PostAsync("v1/chat/completions", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.DoesNotContain(RestrictedServer.ApiKey, await wrong.Content.ReadAsStringAsync());

        using var health = await anonymous.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var withKey = await Server.Http.GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
    }

    [Fact]
    public async Task Past_capacity_is_429_with_retry_after_and_a_disconnect_frees_the_slot()
    {
        using var metrics = new MetricRecorder(Server);
        using var cancel = new CancellationTokenSource();
        var busy = await Sse.OpenAsync(Server.Http, "v1/chat/completions", LongStream(), cancel.Token);
        var reader = new StreamReader(await busy.Content.ReadAsStreamAsync(cancel.Token));
        await Streams.ReadUntilFirstTokenAsync(reader);

        // The only slot is decoding a sequence of ~2000 tokens: the next request is turned away, not queued.
        var (status, json, response) = await Server.PostAsync("v1/chat/completions", new
        {
            model = Server.ModelName, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 2,
        });
        Assert.Equal(429, status);
        Assert.Equal("rate_limit_exceeded", json.GetProperty("error").GetProperty("code").GetString());
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        // The client goes away: its sequence is cancelled at the next step and the slot frees long before it would have finished.
        cancel.Cancel();
        reader.Dispose();
        busy.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Server.Scheduler.InFlight > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, Server.Scheduler.InFlight);
        Assert.Single(metrics.Values("cortex1.inference.sequences", "outcome", "cancelled"));
        Assert.Empty(metrics.Values("cortex1.inference.sequences", "outcome", "length"));

        var after = await Server.PostAsync("v1/chat/completions", new
        {
            model = Server.ModelName, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 2,
        });
        Assert.Equal(200, after.Status);
    }
}
