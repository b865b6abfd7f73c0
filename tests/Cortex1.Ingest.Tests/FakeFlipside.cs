using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cortex1.Ingest.Flipside;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cortex1.Ingest.Tests;

/// <summary>
/// A Flipside JSON-RPC server on 127.0.0.1 (real Kestrel, real HTTP), scripted per test: each query
/// run has a sequence of states it reports on successive polls, an optional redirect, and result pages.
/// </summary>
public sealed class FakeFlipside : IAsyncDisposable
{
    public const string ApiKey = "test-key-123";

    public sealed class Run
    {
        /// <summary>States reported on successive getQueryRun calls; the last one repeats.</summary>
        public List<string> States { get; init; } = [FlipsideClient.StateSuccess];
        public string? RedirectTo { get; init; }
        public string? ErrorName { get; init; }
        public string? ErrorMessage { get; init; }
        public string[] Columns { get; init; } = [];
        /// <summary>Each page's rows, as arrays in column order.</summary>
        public List<object?[][]> Pages { get; init; } = [];
        internal int Polls;
    }

    public sealed record Call(string Method, JsonNode? Params, TimeSpan At, int Status);

    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ConcurrentDictionary<string, Run> Runs { get; } = new();
    public string CreatedRunId { get; set; } = "run-1";
    public ConcurrentQueue<Call> Calls { get; } = new();

    /// <summary>HTTP faults served (in order) before the JSON-RPC handler answers: status and optional Retry-After seconds.</summary>
    public ConcurrentQueue<(int Status, int? RetryAfterSeconds)> Faults { get; } = new();

    /// <summary>JSON-RPC errors answered (HTTP 200) instead of the next call of a method.</summary>
    public ConcurrentQueue<(string Method, int Code, string Message)> RpcFaults { get; } = new();

    public Uri BaseUrl { get; private set; } = null!;

    private FakeFlipside()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/json-rpc", Handle);
    }

    public static async Task<FakeFlipside> StartAsync()
    {
        var fake = new FakeFlipside();
        await fake._app.StartAsync();
        var address = fake._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        fake.BaseUrl = new Uri(address + "/");
        return fake;
    }

    /// <summary>A client wired exactly as the service wires it (resilience handler included), with short delays.</summary>
    public FlipsideClient CreateClient(string? apiKey = ApiKey)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Flipside:ApiKey"] = apiKey,
            ["Flipside:BaseUrl"] = BaseUrl.ToString(),
            ["Flipside:PollInitialDelay"] = "00:00:00.010",
            ["Flipside:PollMaxDelay"] = "00:00:00.040",
            ["Flipside:RetryBaseDelay"] = "00:00:00.020",
            ["Flipside:QueryTimeout"] = "00:00:30",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddFlipsideClient(config);
        return services.BuildServiceProvider().GetRequiredService<FlipsideClient>();
    }

    public IEnumerable<Call> CallsOf(string method) => Calls.Where(c => c.Method == method);

    private async Task Handle(HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        var method = body?["method"]?.GetValue<string>() ?? "";
        var args = body?["params"]?[0];
        var id = body?["id"]?.DeepClone();

        if (Faults.TryDequeue(out var fault))
        {
            Calls.Enqueue(new Call(method, args, _clock.Elapsed, fault.Status));
            http.Response.StatusCode = fault.Status;
            if (fault.RetryAfterSeconds is { } s) http.Response.Headers.RetryAfter = s.ToString();
            await http.Response.WriteAsync("slow down");
            return;
        }
        if (http.Request.Headers["x-api-key"] != ApiKey)
        {
            Calls.Enqueue(new Call(method, args, _clock.Elapsed, 401));
            http.Response.StatusCode = 401;
            await http.Response.WriteAsJsonAsync(new { message = "Invalid API key" });
            return;
        }
        Calls.Enqueue(new Call(method, args, _clock.Elapsed, 200));

        JsonObject response;
        try
        {
            var result = Answer(method, args); // before building the envelope: `id` can have one parent only
            response = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["result"] = result };
        }
        catch (RpcError e)
        {
            response = new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = id,
                ["error"] = new JsonObject { ["code"] = e.Code, ["message"] = e.Message, ["data"] = null },
            };
        }
        await http.Response.WriteAsJsonAsync(response);
    }

    private sealed class RpcError(int code, string message) : Exception(message)
    {
        public int Code => code;
    }

    private JsonNode Answer(string method, JsonNode? args)
    {
        if (RpcFaults.TryPeek(out var rpc) && rpc.Method == method && RpcFaults.TryDequeue(out _))
            throw new RpcError(rpc.Code, rpc.Message);
        switch (method)
        {
            case "createQueryRun":
                if (args?["sql"] is null || args["dataSource"]?.GetValue<string>() != "snowflake-default" ||
                    args["dataProvider"]?.GetValue<string>() != "flipside")
                    throw new RpcError(-32602, "invalid params");
                return new JsonObject
                {
                    ["queryRequest"] = new JsonObject { ["id"] = "req-1", ["queryRunId"] = CreatedRunId },
                    ["queryRun"] = RunJson(CreatedRunId, "QUERY_STATE_READY", null),
                };
            case "getQueryRun":
            {
                var runId = args!["queryRunId"]!.GetValue<string>();
                var run = Runs[runId];
                var state = run.States[Math.Min(run.Polls++, run.States.Count - 1)];
                return new JsonObject
                {
                    ["queryRun"] = RunJson(runId, state, run),
                    ["redirectedToQueryRun"] = run.RedirectTo is { } to ? RunJson(to, Runs[to].States[^1], Runs[to]) : null,
                };
            }
            case "getQueryRunResults":
            {
                var runId = args!["queryRunId"]!.GetValue<string>();
                var run = Runs[runId];
                if (run.States[Math.Max(0, Math.Min(run.Polls - 1, run.States.Count - 1))] != FlipsideClient.StateSuccess)
                    throw new RpcError(-32151, "QueryRunNotFinished");
                var number = args["page"]!["number"]!.GetValue<int>();
                var rows = number <= run.Pages.Count ? run.Pages[number - 1] : [];
                return new JsonObject
                {
                    ["columnNames"] = new JsonArray([.. run.Columns.Select(c => (JsonNode)c.ToUpperInvariant())]),
                    ["columnTypes"] = new JsonArray([.. run.Columns.Select(_ => (JsonNode)"string")]),
                    ["rows"] = JsonSerializer.SerializeToNode(rows),
                    ["page"] = new JsonObject
                    {
                        ["currentPageNumber"] = number, ["currentPageSize"] = rows.Length,
                        ["totalRows"] = run.Pages.Sum(p => p.Length), ["totalPages"] = run.Pages.Count,
                    },
                    ["originalQueryRun"] = RunJson(runId, FlipsideClient.StateSuccess, run),
                    ["redirectedToQueryRun"] = null,
                };
            }
            default:
                throw new RpcError(-32601, "Method not found");
        }
    }

    private static JsonObject RunJson(string id, string state, Run? run) => new()
    {
        ["id"] = id,
        ["state"] = state,
        ["errorName"] = state == FlipsideClient.StateFailed ? run?.ErrorName : null,
        ["errorMessage"] = state == FlipsideClient.StateFailed ? run?.ErrorMessage : null,
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
