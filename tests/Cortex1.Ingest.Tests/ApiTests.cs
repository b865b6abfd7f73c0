using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cortex1.Data.Jobs;
using Cortex1.Ingest.MarketApi;
using Cortex1.Ingest.Runs;
using Cortex1.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cortex1.Ingest.Tests;

/// <summary>The HTTP API on a real Kestrel server, with the job worker running queued ingest runs.</summary>
public sealed class ApiTests
{
    private static async Task<(WebApplication App, HttpClient Http)> StartAsync(Npgsql.NpgsqlDataSource db)
    {
        JobWorker.PollInterval = TimeSpan.FromMilliseconds(50);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(TestHost.Settings(flipside: null));
        builder.Services.AddSingleton(db).AddSingleton<JobQueue>();
        builder.Services.AddIngestCore(builder.Configuration).AddJobHandler<IngestRunHandler>();
        var app = builder.Build();
        app.MapMarketApi();
        app.MapIngestApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address) });
    }

    [Fact]
    public async Task A_queued_load_embedded_run_completes_and_its_data_is_served()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var (app, http) = await StartAsync(db);
        await using var _ = app;

        var post = await http.PostAsJsonAsync("/api/ingest/runs", new { mode = "load-embedded" });
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var run = await post.Content.ReadFromJsonAsync<JsonElement>();
        var id = run.GetProperty("id").GetInt64();
        Assert.Equal($"/api/ingest/runs/{id}", post.Headers.Location?.ToString());

        JsonElement status;
        var deadline = DateTime.UtcNow.AddSeconds(40);
        do
        {
            await Task.Delay(100);
            status = await http.GetFromJsonAsync<JsonElement>($"/api/ingest/runs/{id}");
        } while (status.GetProperty("status").GetString() is JobStatus.Queued or JobStatus.Running && DateTime.UtcNow < deadline);
        Assert.Equal(JobStatus.Succeeded, status.GetProperty("status").GetString());
        Assert.Equal(3018, status.GetProperty("result").GetProperty("rawDays").GetInt32());

        var chains = await http.GetFromJsonAsync<JsonElement>("/api/market/chains");
        Assert.Equal(["bitcoin", "ethereum", "solana"], chains.EnumerateArray().Select(c => c.GetProperty("chain").GetString()));

        var days = await http.GetFromJsonAsync<JsonElement>("/api/market/bitcoin/days?from=2018-01-01&to=2018-01-31");
        var list = days.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(31, list.Count);
        Assert.Equal(13657.2001953125, list[0].GetProperty("metrics").GetProperty("close_usd").GetDouble());

        // Without from/to: the chain's last 30 stored days.
        var recent = await http.GetFromJsonAsync<JsonElement>("/api/market/solana/days");
        Assert.Equal("2021-07-06", recent.GetProperty("to").GetString());
        Assert.Equal(30, recent.GetProperty("days").GetArrayLength());

        var conditions = await http.GetFromJsonAsync<JsonElement>("/api/market/ethereum/conditions?from=2021-01-01&to=2021-01-31");
        var labels = conditions.GetProperty("conditions").EnumerateArray().ToList();
        Assert.Equal(31, labels.Count);
        Assert.All(labels, l => Assert.Equal("market", l.GetProperty("basis").GetString()));
    }

    [Fact]
    public async Task Bad_requests_get_clear_problems()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var (app, http) = await StartAsync(db);
        await using var _ = app;

        var noKey = await http.PostAsJsonAsync("/api/ingest/runs", new { mode = "fetch", days = 30, chains = new[] { "ethereum" } });
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Contains("Flipside:ApiKey", await noKey.Content.ReadAsStringAsync());

        var badMode = await http.PostAsJsonAsync("/api/ingest/runs", new { mode = "invent" });
        Assert.Equal(HttpStatusCode.BadRequest, badMode.StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/market/dogechain/days")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/ingest/runs/999999")).StatusCode);
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("/api/market/chains")).GetArrayLength());
    }
}
