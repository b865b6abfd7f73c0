using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cortex1.Ingest.Flipside;

/// <summary>The rows of a finished query; each row maps lower-case column name → JSON value.</summary>
public sealed record FlipsideResult(string QueryRunId, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyDictionary<string, JsonElement>> Rows);

/// <summary>
/// Flipside's query API over JSON-RPC 2.0 (<c>POST {BaseUrl}/json-rpc</c>, header <c>x-api-key</c>):
/// <c>createQueryRun</c>, then <c>getQueryRun</c> polled with backoff (following
/// <c>redirectedToQueryRun</c>) until <c>QUERY_STATE_SUCCESS</c>, then <c>getQueryRunResults</c> page by
/// page up to <c>totalPages</c>. HTTP-level retries (429/5xx with Retry-After) belong to the resilience
/// handler configured in <see cref="FlipsideServiceCollectionExtensions.AddFlipsideClient"/>.
/// </summary>
public sealed partial class FlipsideClient(HttpClient http, IOptions<FlipsideOptions> options, ILogger<FlipsideClient> logger)
{
    public const string StateSuccess = "QUERY_STATE_SUCCESS";
    public const string StateFailed = "QUERY_STATE_FAILED";
    public const string StateCanceled = "QUERY_STATE_CANCELED";

    private readonly FlipsideOptions _options = options.Value;
    private int _requestId;

    /// <summary>Runs <paramref name="sql"/> and returns every result row.</summary>
    public async Task<FlipsideResult> RunAsync(string sql, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        if (!_options.HasKey) throw new FlipsideNotConfiguredException();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.QueryTimeout);
        try
        {
            var runId = await CreateQueryRunAsync(sql, timeout.Token);
            progress?.Report($"query run {runId} created");
            var finalId = await WaitForSuccessAsync(runId, progress, timeout.Token);
            return await GetAllResultsAsync(finalId, progress, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new FlipsideException($"Flipside query did not finish within {_options.QueryTimeout} (Flipside:QueryTimeout).");
        }
    }

    private async Task<string> CreateQueryRunAsync(string sql, CancellationToken ct)
    {
        var args = new JsonObject
        {
            ["resultTTLHours"] = _options.ResultTtlHours,
            ["maxAgeMinutes"] = _options.MaxAgeMinutes,
            ["sql"] = sql,
            ["tags"] = new JsonObject { ["sdk_package"] = "cortex1", ["sdk_language"] = "csharp" },
            ["dataSource"] = "snowflake-default",
            ["dataProvider"] = "flipside",
        };
        // Too many concurrent queries is an account-level limit that clears as other runs end: wait and retry.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var result = await CallAsync("createQueryRun", args, ct);
                return RunOf(result.GetProperty("queryRun")).Id;
            }
            catch (FlipsideTooManyQueriesException) when (attempt < 5)
            {
                LogConcurrencyLimit(logger, attempt + 1);
                await Task.Delay(PollDelay(attempt + 2), ct);
            }
        }
    }

    /// <summary>Polls until the run (or the run it redirects to) succeeds; returns the id whose results to read.</summary>
    private async Task<string> WaitForSuccessAsync(string runId, IProgress<string>? progress, CancellationToken ct)
    {
        var id = runId;
        string? lastState = null;
        for (var poll = 0; ; poll++)
        {
            var result = await CallAsync("getQueryRun", new JsonObject { ["queryRunId"] = id }, ct);
            var run = RunOf(result.GetProperty("queryRun"));
            // Flipside answers an identical recent query from an existing run and says so here.
            if (result.TryGetProperty("redirectedToQueryRun", out var redirected) && redirected.ValueKind == JsonValueKind.Object)
            {
                var target = RunOf(redirected);
                if (target.Id != id)
                {
                    progress?.Report($"query run {id} redirected to {target.Id}");
                    id = target.Id;
                    run = target;
                }
            }

            if (run.State != lastState)
            {
                progress?.Report($"query run {id}: {run.State}");
                lastState = run.State;
            }
            switch (run.State)
            {
                case StateSuccess:
                    return id;
                case StateFailed or StateCanceled:
                    throw new FlipsideQueryFailedException(id, run.State, run.ErrorName, run.ErrorMessage);
            }
            await Task.Delay(PollDelay(poll), ct);
        }
    }

    private async Task<FlipsideResult> GetAllResultsAsync(string runId, IProgress<string>? progress, CancellationToken ct)
    {
        var rows = new List<IReadOnlyDictionary<string, JsonElement>>();
        IReadOnlyList<string> columns = [];
        var totalPages = 1;
        for (var page = 1; page <= totalPages; page++)
        {
            var result = await GetResultsPageAsync(runId, page, ct);
            columns = result.TryGetProperty("columnNames", out var names) && names.ValueKind == JsonValueKind.Array
                ? [.. names.EnumerateArray().Select(n => n.GetString()!.ToLowerInvariant())]
                : columns;
            totalPages = result.GetProperty("page").GetProperty("totalPages").GetInt32();
            if (result.TryGetProperty("rows", out var pageRows) && pageRows.ValueKind == JsonValueKind.Array)
                foreach (var row in pageRows.EnumerateArray())
                    rows.Add(RowOf(row, columns));
            progress?.Report($"query run {runId}: page {page}/{Math.Max(totalPages, 1)}, {rows.Count} rows");
        }
        return new FlipsideResult(runId, columns, rows);
    }

    private async Task<JsonElement> GetResultsPageAsync(string runId, int page, CancellationToken ct)
    {
        var args = new JsonObject
        {
            ["queryRunId"] = runId,
            ["format"] = "json",
            ["page"] = new JsonObject { ["number"] = page, ["size"] = _options.PageSize },
        };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await CallAsync("getQueryRunResults", args, ct);
            }
            catch (FlipsideQueryNotFinishedException) when (attempt < 5)
            {
                // Results can trail the SUCCESS state briefly while they are written out.
                await Task.Delay(PollDelay(attempt), ct);
            }
        }
    }

    /// <summary>One JSON-RPC call; returns its <c>result</c> or throws the typed error.</summary>
    private async Task<JsonElement> CallAsync(string method, JsonObject args, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = method,
            ["params"] = new JsonArray(args.DeepClone()),
            ["id"] = Interlocked.Increment(ref _requestId),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.BaseUrl, "json-rpc"))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Add("x-api-key", _options.ApiKey);

        using var response = await http.SendAsync(request, ct);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new FlipsideAuthenticationException((int)response.StatusCode);

        var text = await response.Content.ReadAsStringAsync(ct);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException) when (!response.IsSuccessStatusCode)
        {
            throw new FlipsideHttpException((int)response.StatusCode, Truncate(text));
        }
        using (doc)
        {
            if (doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                throw FlipsideRpcException.From(
                    error.GetProperty("code").GetInt32(),
                    error.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "",
                    error.TryGetProperty("data", out var d) && d.ValueKind != JsonValueKind.Null ? d.GetRawText() : null);
            if (!response.IsSuccessStatusCode)
                throw new FlipsideHttpException((int)response.StatusCode, Truncate(text));
            if (!doc.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
                throw new FlipsideException($"Flipside answered {method} without a result.");
            return result.Clone();
        }
    }

    private TimeSpan PollDelay(int poll)
    {
        var ms = _options.PollInitialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(poll, 16));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.PollMaxDelay.TotalMilliseconds));
    }

    private sealed record QueryRun(string Id, string State, string? ErrorName, string? ErrorMessage);

    private static QueryRun RunOf(JsonElement run) => new(
        run.GetProperty("id").GetString()!,
        run.GetProperty("state").GetString()!,
        StringOrNull(run, "errorName"),
        StringOrNull(run, "errorMessage"));

    private static string? StringOrNull(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // Rows come as objects (format "json") or as arrays in column order; accept both.
    private static Dictionary<string, JsonElement> RowOf(JsonElement row, IReadOnlyList<string> columns)
    {
        var map = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        if (row.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in row.EnumerateObject()) map[p.Name.ToLowerInvariant()] = p.Value.Clone();
        }
        else if (row.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var v in row.EnumerateArray())
            {
                if (i >= columns.Count) throw new FlipsideException("A result row has more values than columns.");
                map[columns[i++]] = v.Clone();
            }
        }
        else throw new FlipsideException($"A result row is a {row.ValueKind}, not an object or array.");
        return map;
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "…";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flipside: too many concurrent queries; waiting before retry {Attempt}")]
    private static partial void LogConcurrencyLimit(ILogger logger, int attempt);
}
