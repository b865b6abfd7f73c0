using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cortex1.Synth.Tests;

/// <summary>
/// An OpenAI-compatible <c>/v1/chat/completions</c> server on 127.0.0.1 (real Kestrel, real HTTP),
/// scripted per test: each request takes the next reply from the script (the last one repeats). A reply
/// may be a raw body (malformed JSON) or may never come (a long delay, ended when the client gives up).
/// </summary>
public sealed class FakeOpenAi : IAsyncDisposable
{
    public const string ApiKey = "sk-test-123";

    /// <summary>A scripted reply: a status, optional headers, and the assistant message (for 200s) or an error body.</summary>
    public sealed record Reply(int Status, string? Content = null, string? Reasoning = null, string? ReasoningContent = null,
        int? RetryAfterSeconds = null, string? ErrorMessage = null, int DelayMs = 0, string? RawBody = null);

    public sealed record Call(JsonNode Body, string? Authorization, TimeSpan At, int Status);

    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Reply> _script;
    private int _next;
    private int _inFlight;

    /// <summary>The most requests the server was handling at the same moment.</summary>
    public int MaxInFlight { get; private set; }

    public ConcurrentQueue<Call> Calls { get; } = new();
    public Uri BaseUrl { get; }

    private FakeOpenAi(WebApplication app, List<Reply> script, Uri baseUrl)
    {
        _app = app;
        _script = script;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeOpenAi> StartAsync(params Reply[] script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeOpenAi? self = null;
        app.MapPost("/v1/chat/completions", async (HttpContext http) => await self!.Handle(http));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeOpenAi(app, [.. script], new Uri(address.TrimEnd('/') + "/v1"));
        return self;
    }

    private async Task Handle(HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body) ?? new JsonObject();
        var index = Interlocked.Increment(ref _next) - 1;
        var reply = _script[Math.Min(index, _script.Count - 1)];
        Calls.Enqueue(new Call(body, http.Request.Headers.Authorization.ToString(), _clock.Elapsed, reply.Status));
        var now = Interlocked.Increment(ref _inFlight);
        lock (Calls) MaxInFlight = Math.Max(MaxInFlight, now);
        try
        {
            // Ends with the client's request: a teacher that never answers must not hold the server's shutdown.
            await Task.Delay(reply.DelayMs, http.RequestAborted);
            await Respond(http, body, reply, index);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static async Task Respond(HttpContext http, JsonNode body, Reply reply, int index)
    {
        http.Response.StatusCode = reply.Status;
        http.Response.ContentType = "application/json";
        if (reply.RetryAfterSeconds is { } s) http.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (reply.RawBody is not null)
        {
            await http.Response.WriteAsync(reply.RawBody);
            return;
        }
        if (reply.Status != 200)
        {
            await http.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { message = reply.ErrorMessage ?? "error", code = reply.Status } }));
            return;
        }
        var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content };
        if (reply.Reasoning is not null) message["reasoning"] = reply.Reasoning;
        if (reply.ReasoningContent is not null) message["reasoning_content"] = reply.ReasoningContent;
        var response = new JsonObject
        {
            ["id"] = $"gen-{index}",
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = body["model"]?.GetValue<string>() ?? "unknown",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["finish_reason"] = "stop", ["message"] = message }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 20, ["total_tokens"] = 30 },
        };
        await http.Response.WriteAsync(response.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
