using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cortex1.Inference.Engine;
using Cortex1.Inference.Scheduling;
using Cortex1.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Cortex1.Inference.Tests;

/// <summary>
/// The real inference service (Kestrel, Azurite, the embedded tiny model; no database) started in this
/// process on a free 127.0.0.1 port and called over HTTP, as a client would.
/// </summary>
public sealed class InferenceServer : IAsyncDisposable
{
    /// <summary>One cache folder per test run (removed with it): the tiny model is created once, fresh for this build of the engine.</summary>
    public static readonly string CacheFolder = TestRun.Folder("inference");

    private InferenceServer(WebApplication app, Uri baseUrl, string? apiKey)
    {
        App = app;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    public WebApplication App { get; }
    public Uri BaseUrl { get; }
    public HttpClient Http { get; }
    public ModelHost Host => App.Services.GetRequiredService<ModelHost>();
    public BatchScheduler Scheduler => App.Services.GetRequiredService<BatchScheduler>();
    public string ModelName => Host.Name!;

    /// <summary>Starts a server with <paramref name="settings"/> (configuration keys → values); waits for health unless told not to.</summary>
    public static async Task<InferenceServer> StartAsync(IReadOnlyDictionary<string, string>? settings = null, bool waitUntilHealthy = true)
    {
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--ConnectionStrings:blobs", await AzuriteServer.GetConnectionStringAsync(),
            "--Inference:CacheFolder", CacheFolder,
            "--Inference:Embedded", "tiny",
            "--Logging:LogLevel:Default", "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            args.AddRange([$"--{key}", value]);
        var app = InferenceApp.Build([.. args]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new InferenceServer(app, new Uri(address.TrimEnd('/') + "/"), settings?.GetValueOrDefault("Inference:ApiKey"));
        if (waitUntilHealthy) await server.WaitUntilHealthyAsync();
        return server;
    }

    /// <summary>The server as <c>serve</c> runs it (no blob storage), on a free 127.0.0.1 port; waits for health.</summary>
    public static async Task<InferenceServer> StartAsync(Serve.ServeOptions serve, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Inference:CacheFolder"] = CacheFolder,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        var app = InferenceApp.Build(serve with { Host = "127.0.0.1", Port = 0 }, all);
        await app.StartAsync();
        var server = new InferenceServer(app, new Uri(app.Urls.First().TrimEnd('/') + "/"), all.GetValueOrDefault("Inference:ApiKey"));
        await server.WaitUntilHealthyAsync();
        return server;
    }

    public async Task WaitUntilHealthyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Http.GetAsync("health");
            if (response.IsSuccessStatusCode) return;
            last = await response.Content.ReadAsStringAsync();
            await Task.Delay(200);
        }
        throw new TimeoutException($"The inference service did not become healthy: {last} (model: {Host.State})");
    }

    /// <summary>POSTs raw JSON (or any text) and returns status and parsed body.</summary>
    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, string body)
    {
        var response = await Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    public Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, object body) =>
        PostAsync(path, JsonSerializer.Serialize(body));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>The shared server most tests use: batch 4, queue 16, 64 KiB bodies, an adapters folder polled twice a second.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public static readonly string AdaptersFolder = Path.Combine(InferenceServer.CacheFolder, "adapters-folder");

    public InferenceServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(AdaptersFolder);
        Server = await InferenceServer.StartAsync(new Dictionary<string, string>
        {
            ["Inference:MaxBatchSize"] = "4",
            ["Inference:MaxQueue"] = "16",
            ["Inference:MaxRequestBodyBytes"] = "65536",
            ["Inference:AdaptersFolder"] = AdaptersFolder,
            ["Inference:AdapterPollSeconds"] = "0.5",
        });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<SharedServer>
{
    public const string Name = "shared inference server";
}
