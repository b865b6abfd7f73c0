using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cortex1.Data;
using Cortex1.Data.Jobs;
using Cortex1.Synth.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cortex1.Synth.Tests;

/// <summary>The service as it runs: ServiceDefaults, data, the synth job worker and the HTTP API on 127.0.0.1.</summary>
[Collection(MarketCollection.Name)]
public partial class ApiTests(MarketDatabase fx)
{
    private async Task<(WebApplication App, HttpClient Http)> StartService(Dictionary<string, string?>? settings = null)
    {
        JobWorker.PollInterval = TimeSpan.FromMilliseconds(100);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ConnectionNames.Database}"] = fx.Db.ConnectionString,
            [$"ConnectionStrings:{ConnectionNames.Blobs}"] = fx.BlobConnection,
        }.Concat(settings ?? []));
        builder.AddServiceDefaults();
        builder.AddCortex1Data();
        builder.AddSynth();
        var app = builder.Build();
        app.MapSynthApi();
        app.MapRewardsApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address) });
    }

    private static async Task<JsonNode> WaitForRun(HttpClient http, long id, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var run = (await http.GetFromJsonAsync<JsonNode>($"/api/synth/runs/{id}"))!;
            if (done(run)) return run;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Run {id} did not finish: {run.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Post_runs_a_job_whose_progress_run_and_dataset_are_visible()
    {
        var (app, http) = await StartService();
        await using (app)
        {
            var bad = await http.PostAsJsonAsync("/api/synth/runs", new { size = "huge" });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("small", await bad.Content.ReadAsStringAsync());

            var post = await http.PostAsJsonAsync("/api/synth/runs", new { size = "small", teacher = "offline", name = "api-small" });
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
            var id = (await post.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<long>();
            Assert.Equal($"/api/synth/runs/{id}", post.Headers.Location!.OriginalString);

            // The run row is finished inside the job; the job row is completed just after the handler returns.
            var run = await WaitForRun(http, id, r => r["job"]?["status"]?.GetValue<string>() is "succeeded" or "failed");
            Assert.Equal("succeeded", run["status"]!.GetValue<string>());
            Assert.Equal("succeeded", run["job"]!["status"]!.GetValue<string>());
            Assert.Equal(1.0, run["job"]!["progress"]!.GetValue<double>());
            Assert.Equal(32, run["manifest"]!["train"]!["count"]!.GetValue<int>());

            var again = await http.PostAsJsonAsync("/api/synth/runs", new { size = "small", teacher = "offline", name = "api-small" });
            Assert.Equal(HttpStatusCode.OK, again.StatusCode); // already done: no second job

            var datasets = (await http.GetFromJsonAsync<JsonArray>("/api/datasets"))!;
            Assert.Contains(datasets, d => d!["name"]!.GetValue<string>() == "api-small" && d["evalCount"]!.GetValue<int>() == 8);
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task A_402_from_the_teacher_fails_the_job_once_with_a_clear_message()
    {
        await using var teacher = await FakeOpenAi.StartAsync(new FakeOpenAi.Reply(402, ErrorMessage: "Insufficient credits"));
        var (app, http) = await StartService(new()
        {
            ["Teacher:BaseUrl"] = teacher.BaseUrl.ToString(),
            ["Teacher:ApiKey"] = FakeOpenAi.ApiKey,
            ["Teacher:MaxConcurrency"] = "1",
        });
        await using (app)
        {
            var post = await http.PostAsJsonAsync("/api/synth/runs", new { size = "small", teacher = "openrouter", name = "no-credits" });
            var id = (await post.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<long>();
            var run = await WaitForRun(http, id, r => r["job"]?["status"]?.GetValue<string>() is "failed" or "succeeded");

            Assert.Equal("failed", run["job"]!["status"]!.GetValue<string>());
            Assert.Equal(1, run["job"]!["attempts"]!.GetValue<int>()); // permanent: not retried
            Assert.Contains("402 Payment Required", run["job"]!["error"]!.GetValue<string>());
            Assert.Equal("failed", run["status"]!.GetValue<string>());
            Assert.Single(teacher.Calls);
            await app.StopAsync();
        }
    }
}
