using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Cortex1.Domain;
using Cortex1.Rewards;
using Cortex1.Rewards.Graded;
using Cortex1.Synth.Api;
using Cortex1.Synth.Generation;
using Microsoft.Extensions.DependencyInjection;

namespace Cortex1.Synth.Tests;

/// <summary><c>POST /api/rewards/score</c> over real HTTP, with data-set examples read from real PostgreSQL.</summary>
public partial class ApiTests
{
    [Fact]
    public async Task Reward_api_scores_a_batch_inline_and_by_example_with_per_item_errors()
    {
        var (app, http) = await StartService();
        await using (app)
        {
            var bull = GradedSet.Context("bull_2021");
            var store = app.Services.GetRequiredService<SynthStore>();
            var (run, _) = await store.CreateOrGetRunAsync(new SynthRunRequest(Name: "rewards-api", Version: "v1"), CancellationToken.None);
            var stored = new TrainingExample("ma-bull-2021", TaskKind.MarketAnalysis, MarketCondition.Bull, "ethereum",
                new DateOnly(2021, 1, 10), new DateOnly(2021, 2, 8), "test", "prompt", "", "answer", bull,
                new ExampleReward(0, 1, null, new Dictionary<string, double>()), new Dictionary<string, string>());
            await store.InsertExampleAsync(run.Id, Split.Train, stored, accepted: true, CancellationToken.None);

            var high = GradedSet.All.Single(e => e.Name == "cross_chain_correlation.high");
            var wrong = GradedSet.All.Single(e => e.Name == "cross_chain_correlation.wrong");
            var analysis = GradedSet.All.Single(e => e.Name == "market_analysis.high");
            var market = System.Text.Json.JsonSerializer.SerializeToNode(bull, RewardJson.Options);
            var items = new JsonArray
            {
                new JsonObject { ["completion"] = high.Completion, ["kind"] = "cross_chain_correlation", ["market"] = market!.DeepClone() },
                new JsonObject { ["completion"] = wrong.Completion, ["kind"] = "CrossChainCorrelation", ["market"] = market.DeepClone() },
                new JsonObject { ["completion"] = analysis.Completion, ["dataset"] = "rewards-api", ["version"] = "v1", ["exampleId"] = "ma-bull-2021" },
                new JsonObject { ["kind"] = "market_analysis", ["market"] = market.DeepClone() },
                new JsonObject { ["completion"] = "x", ["kind"] = "poetry", ["market"] = market.DeepClone() },
                new JsonObject { ["completion"] = "x", ["dataset"] = "rewards-api", ["version"] = "v1", ["exampleId"] = "no-such-example" },
                42,
            };
            var response = await http.PostAsJsonAsync("/api/rewards/score", new JsonObject { ["items"] = items });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
            Assert.Equal(3, body["scored"]!.GetValue<int>());
            Assert.Equal(4, body["failed"]!.GetValue<int>());
            var results = body["results"]!.AsArray();
            Assert.Equal(Enumerable.Range(0, 7), results.Select(r => r!["index"]!.GetValue<int>()));

            // The same numbers as scoring in process; the example's context came from PostgreSQL.
            var expected = new[]
            {
                RewardSystem.Default.Score(high.Completion, new RewardContext(bull, TaskKind.CrossChainCorrelation)),
                RewardSystem.Default.Score(wrong.Completion, new RewardContext(bull, TaskKind.CrossChainCorrelation)),
                RewardSystem.Default.Score(analysis.Completion, new RewardContext(bull, TaskKind.MarketAnalysis)),
            };
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(expected[i].Total, results[i]!["total"]!.GetValue<double>(), 6);
                Assert.Equal(expected[i].Truth, results[i]!["truth"]!.GetValue<double>(), 6);
                Assert.Equal(expected[i].Components[RewardComponents.CalculationAccuracy].Score,
                    results[i]!["components"]![RewardComponents.CalculationAccuracy]!["score"]!.GetValue<double>(), 6);
            }
            Assert.True(results[0]!["total"]!.GetValue<double>() > 0.9 && results[1]!["total"]!.GetValue<double>() < 0.1);

            Assert.Equal([400, 400, 404, 400], results.Skip(3).Select(r => r!["status"]!.GetValue<int>()));
            Assert.Contains("completion", results[3]!["error"]!.GetValue<string>());
            Assert.Contains("poetry", results[4]!["error"]!.GetValue<string>());
            Assert.Contains("no-such-example", results[5]!["error"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Reward_api_rejects_what_is_not_a_batch_whole()
    {
        var (app, http) = await StartService();
        await using (app)
        {
            foreach (var (body, expect) in new[]
            {
                ("not json", "not JSON"),
                ("{\"completions\": []}", "items"),
                ("{\"items\": []}", "empty"),
                ($"{{\"items\": [{string.Join(",", Enumerable.Repeat("{}", RewardsApi.MaxBatch + 1))}]}}", $"At most {RewardsApi.MaxBatch}"),
            })
            {
                var response = await http.PostAsync("/api/rewards/score", new StringContent(body, Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Contains(expect, await response.Content.ReadAsStringAsync());
            }
        }
    }
}
