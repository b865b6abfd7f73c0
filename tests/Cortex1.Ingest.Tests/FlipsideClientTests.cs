using Cortex1.Ingest.Flipside;

namespace Cortex1.Ingest.Tests;

public sealed class FlipsideClientTests : IAsyncLifetime
{
    private FakeFlipside _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeFlipside.StartAsync();
    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static FakeFlipside.Run TwoColumns(params object?[][][] pages) => new()
    {
        Columns = ["day", "daily_txns"],
        Pages = [.. pages],
    };

    [Fact]
    public async Task Reads_every_result_page_up_to_totalPages()
    {
        _fake.Runs["run-1"] = TwoColumns(
            [["2025-01-01", 10], ["2025-01-02", 11]],
            [["2025-01-03", 12], ["2025-01-04", 13]],
            [["2025-01-05", 14]]);

        var result = await _fake.CreateClient().RunAsync("SELECT 1");

        Assert.Equal(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"],
            result.Rows.Select(r => r["day"].GetString()));
        Assert.Equal(14, result.Rows[^1]["daily_txns"].GetInt32());
        Assert.Equal([1, 2, 3], _fake.CallsOf("getQueryRunResults").Select(c => c.Params!["page"]!["number"]!.GetValue<int>()));
        var create = Assert.Single(_fake.CallsOf("createQueryRun"));
        Assert.Equal("SELECT 1", create.Params!["sql"]!.GetValue<string>());
    }

    [Fact]
    public async Task Polls_while_running_then_reads_results_on_success()
    {
        _fake.Runs["run-1"] = new FakeFlipside.Run
        {
            States = ["QUERY_STATE_READY", "QUERY_STATE_RUNNING", "QUERY_STATE_RUNNING", FlipsideClient.StateSuccess],
            Columns = ["day"], Pages = [[["2025-01-01"]]],
        };
        var states = new List<string>();

        var result = await _fake.CreateClient().RunAsync("SELECT 1", new SyncProgress(states.Add));

        Assert.Single(result.Rows);
        Assert.Equal(4, _fake.CallsOf("getQueryRun").Count());
        Assert.Contains(states, s => s.Contains("QUERY_STATE_RUNNING"));
        // Results are only asked for once the run succeeded.
        Assert.True(_fake.CallsOf("getQueryRunResults").First().At > _fake.CallsOf("getQueryRun").Last().At);
    }

    [Fact]
    public async Task Follows_a_redirected_run_and_reads_its_results()
    {
        _fake.Runs["run-1"] = new FakeFlipside.Run { States = ["QUERY_STATE_RUNNING"], RedirectTo = "cached-7" };
        _fake.Runs["cached-7"] = TwoColumns([["2025-02-01", 99]]);

        var result = await _fake.CreateClient().RunAsync("SELECT 1");

        Assert.Equal("cached-7", result.QueryRunId);
        Assert.Equal(99, Assert.Single(result.Rows)["daily_txns"].GetInt32());
        Assert.All(_fake.CallsOf("getQueryRunResults"), c => Assert.Equal("cached-7", c.Params!["queryRunId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_failed_run_throws_with_flipsides_error_name_and_message()
    {
        _fake.Runs["run-1"] = new FakeFlipside.Run
        {
            States = ["QUERY_STATE_RUNNING", FlipsideClient.StateFailed],
            ErrorName = "SQLCompilationError", ErrorMessage = "invalid identifier 'TX_SIGNERX'",
        };

        var e = await Assert.ThrowsAsync<FlipsideQueryFailedException>(() => _fake.CreateClient().RunAsync("SELECT tx_signerx"));

        Assert.Equal("SQLCompilationError", e.ErrorName);
        Assert.Equal("invalid identifier 'TX_SIGNERX'", e.ErrorMessage);
        Assert.Contains("invalid identifier", e.Message);
        Assert.True(e.IsPermanent);
        Assert.Empty(_fake.CallsOf("getQueryRunResults"));
    }

    [Fact]
    public async Task A_429_is_retried_after_the_Retry_After_delay_then_succeeds()
    {
        _fake.Runs["run-1"] = TwoColumns([["2025-01-01", 1]]);
        _fake.Faults.Enqueue((429, 1));

        var result = await _fake.CreateClient().RunAsync("SELECT 1");

        Assert.Single(result.Rows);
        var creates = _fake.CallsOf("createQueryRun").ToList();
        Assert.Equal([429, 200], creates.Select(c => c.Status));
        // The retry waited for Retry-After (1 s), not the 20 ms backoff configured for tests.
        Assert.True(creates[1].At - creates[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {creates[1].At - creates[0].At}");
    }

    [Fact]
    public async Task A_503_is_retried_with_backoff()
    {
        _fake.Runs["run-1"] = TwoColumns([["2025-01-01", 1]]);
        _fake.Faults.Enqueue((503, null));
        _fake.Faults.Enqueue((503, null));

        var result = await _fake.CreateClient().RunAsync("SELECT 1");

        Assert.Single(result.Rows);
        Assert.Equal([503, 503, 200], _fake.CallsOf("createQueryRun").Select(c => c.Status));
    }

    [Fact]
    public async Task A_401_is_a_clear_error_and_is_not_retried()
    {
        var e = await Assert.ThrowsAsync<FlipsideAuthenticationException>(() => _fake.CreateClient("wrong-key").RunAsync("SELECT 1"));

        Assert.Equal(401, e.Status);
        Assert.Contains("Flipside:ApiKey", e.Message);
        Assert.DoesNotContain("wrong-key", e.Message);
        Assert.Single(_fake.Calls);
    }

    [Fact]
    public async Task A_403_is_not_retried_either()
    {
        _fake.Faults.Enqueue((403, null));

        var e = await Assert.ThrowsAsync<FlipsideAuthenticationException>(() => _fake.CreateClient().RunAsync("SELECT 1"));

        Assert.Equal(403, e.Status);
        Assert.Single(_fake.Calls);
    }

    [Fact]
    public async Task Without_a_key_nothing_is_sent()
    {
        await Assert.ThrowsAsync<FlipsideNotConfiguredException>(() => _fake.CreateClient(apiKey: null).RunAsync("SELECT 1"));
        Assert.Empty(_fake.Calls);
    }

    [Fact]
    public async Task Too_many_concurrent_queries_waits_and_creates_the_run_again()
    {
        _fake.Runs["run-1"] = TwoColumns([["2025-01-01", 1]]);
        _fake.RpcFaults.Enqueue(("createQueryRun", FlipsideRpcException.TooManyConcurrentQueries, "TooManyConcurrentQueries"));

        var result = await _fake.CreateClient().RunAsync("SELECT 1");

        Assert.Single(result.Rows);
        Assert.Equal([200, 200], _fake.CallsOf("createQueryRun").Select(c => c.Status));
    }

    [Fact]
    public async Task Results_not_yet_finished_are_asked_for_again()
    {
        _fake.Runs["run-1"] = TwoColumns([["2025-01-01", 1]]);
        _fake.RpcFaults.Enqueue(("getQueryRunResults", FlipsideRpcException.QueryRunNotFinished, "QueryRunNotFinished"));

        var result = await _fake.CreateClient().RunAsync("SELECT 1");

        Assert.Single(result.Rows);
        Assert.Equal([200, 200], _fake.CallsOf("getQueryRunResults").Select(c => c.Status));
    }

    [Fact]
    public async Task Other_json_rpc_errors_surface_with_their_code()
    {
        _fake.Runs["run-1"] = TwoColumns([["2025-01-01", 1]]);
        _fake.RpcFaults.Enqueue(("getQueryRun", -32000, "QueryRunNotFound"));

        var e = await Assert.ThrowsAsync<FlipsideRpcException>(() => _fake.CreateClient().RunAsync("SELECT 1"));

        Assert.Equal(-32000, e.Code);
        Assert.Contains("QueryRunNotFound", e.Message);
        Assert.IsType<FlipsideQueryNotFinishedException>(FlipsideRpcException.From(-32151, "x", null));
        Assert.IsType<FlipsideTooManyQueriesException>(FlipsideRpcException.From(-32171, "x", null));
    }

    /// <summary>Progress&lt;T&gt; posts asynchronously; tests need the reports before RunAsync returns.</summary>
    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
