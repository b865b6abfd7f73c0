using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cortex1.Trainer.Tests;

/// <summary>
/// An OpenAI-compatible <c>/v1/chat/completions</c> server on 127.0.0.1 (real Kestrel, real HTTP) that answers each
/// prompt with the answer scripted for it, as a model that wrote those reports would; an unknown prompt is a 404.
/// </summary>
public sealed class FakeChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonNode> _requests;

    public Uri BaseUrl { get; }

    private FakeChatServer(WebApplication app, Uri baseUrl, ConcurrentQueue<JsonNode> requests) => (_app, BaseUrl, _requests) = (app, baseUrl, requests);

    public static async Task<FakeChatServer> StartAsync(IReadOnlyDictionary<string, string> answers)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var requests = new ConcurrentQueue<JsonNode>();
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            var body = await JsonNode.ParseAsync(http.Request.Body) ?? new JsonObject();
            requests.Enqueue(body);
            var prompt = body["messages"]?[0]?["content"]?.GetValue<string>() ?? "";
            if (!answers.TryGetValue(prompt, out var answer)) return Results.NotFound(new { error = new { message = "unknown prompt" } });
            return Results.Json(new JsonObject
            {
                ["id"] = "chatcmpl-1",
                ["object"] = "chat.completion",
                ["model"] = body["model"]?.GetValue<string>(),
                // A reasoning model's thinking inline: the evaluation must score only what follows it.
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "stop",
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = $"<think>Let me look at the window.</think>\n{answer}" },
                }),
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeChatServer(app, new Uri(address.TrimEnd('/') + "/v1"), requests);
    }

    /// <summary>The request bodies received so far.</summary>
    public IReadOnlyList<JsonNode> Received => [.. _requests];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
