using System.Diagnostics;
using System.Text.Json;
using Cortex1.Domain;
using Cortex1.Data.Storage;
using Cortex1.Rewards;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Offline;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Cortex1.Synth.Tests;

[Collection(MarketCollection.Name)]
public class GenerationTests(MarketDatabase fx, ITestOutputHelper output)
{
    private static async Task<DatasetManifest> Generate(ServiceProvider services, SynthRunRequest request,
        SynthProgressHandler? progress = null, CancellationToken ct = default)
    {
        var (run, _) = await services.GetRequiredService<SynthStore>().CreateOrGetRunAsync(request, ct);
        return await services.GetRequiredService<SynthRunner>().RunAsync(run.Id, progress, ct);
    }

    private async Task<List<TrainingExample>> ReadJsonl(string name) =>
        [.. (await fx.Blobs.DownloadTextAsync(BlobContainers.Datasets, name)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(DatasetJson.FromLine)];

    [Fact]
    public async Task Offline_small_dataset_is_gated_balanced_split_by_time_and_published()
    {
        await using var services = fx.Synth();
        var request = new SynthRunRequest("small", "offline", ["market"], Name: "offline-small");
        var clock = Stopwatch.StartNew();
        var manifest = await Generate(services, request);
        output.WriteLine($"offline small: {clock.Elapsed.TotalSeconds:0.00} s, {manifest.Train.Count} train + {manifest.Eval.Count} eval, {manifest.Generated} generated");
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1));

        Assert.Equal(32, manifest.Train.Count);
        Assert.Equal(8, manifest.Eval.Count);
        Assert.Equal(0.45, manifest.QualityGate);
        Assert.Equal(OfflineAnalyst.TeacherName, manifest.Teacher);

        var prefix = $"offline-small/{request.DatasetVersion}";
        var train = await ReadJsonl($"{prefix}/train.jsonl");
        var eval = await ReadJsonl($"{prefix}/eval.jsonl");
        Assert.Equal(manifest.Train.Count, train.Count);
        Assert.Equal(manifest.Eval.Count, eval.Count);
        Assert.True(eval.Min(e => e.WindowStart) > train.Max(t => t.WindowEnd), "eval windows start strictly after every train window ends");

        foreach (var e in train.Concat(eval))
        {
            Assert.True(e.Reward.Total >= manifest.QualityGate, $"{e.Id} scored {e.Reward.Total}");
            // The stored breakdown is what the reward system says about the stored answer and market data.
            Assert.Equal(e.Reward.Total, RewardSystem.Default.Score(e.Answer, new RewardContext(e.Market, e.Kind)).Total);
            Assert.False(string.IsNullOrWhiteSpace(e.Reasoning));
            Assert.False(string.IsNullOrWhiteSpace(e.Answer));
            Assert.Equal(OfflineAnalyst.TeacherName, e.Teacher);
            Assert.Contains(e.Market.Series, s => s.Chain == e.Chain && s.End == e.WindowEnd);
            Assert.Equal(8, e.Reward.Components.Count);
        }
        Assert.Equal(train.Count + eval.Count, train.Concat(eval).Select(e => e.Answer).Distinct().Count());

        // Balanced: every kind appears, none more than one above another; several conditions.
        var byKind = train.GroupBy(e => e.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(5, byKind.Count);
        Assert.True(byKind.Values.Max() - byKind.Values.Min() <= 1, string.Join(", ", byKind));
        Assert.True(train.Select(e => e.Condition).Distinct().Count() >= 5);
        Assert.Equal(byKind.ToDictionary(k => k.Key.ToString(), k => k.Value), manifest.Train.ByKind);

        var stored = JsonSerializer.Deserialize<DatasetManifest>(await fx.Blobs.DownloadTextAsync(BlobContainers.Datasets, $"{prefix}/manifest.json"), DatasetJson.Options)!;
        Assert.Equal(manifest.Train.ByCondition, stored.Train.ByCondition);
        Assert.Equal(manifest.Generated, stored.Generated);

        var catalogue = await services.GetRequiredService<SynthStore>().ListDatasetsAsync(default);
        var entry = Assert.Single(catalogue, d => d.Name == "offline-small");
        Assert.Equal((32, 8, "datasets/" + prefix), (entry.TrainCount, entry.EvalCount, entry.Prefix));
    }

    [Fact]
    public async Task A_compact_run_publishes_compact_examples_under_its_own_version()
    {
        await using var services = fx.Synth();
        var request = new SynthRunRequest("small", "offline", ["market"], Name: "offline-compact", Profile: PromptProfile.CompactName);
        var manifest = await Generate(services, request);
        Assert.Equal("offline-compact-s42", manifest.Version);
        Assert.Equal(("8", "compact"), (manifest.Metadata["window_days"], manifest.Metadata["prompt_profile"]));
        // The job reads the request back from PostgreSQL: the profile survives the round trip.
        var (run, created) = await services.GetRequiredService<SynthStore>().CreateOrGetRunAsync(request, default);
        Assert.False(created);
        Assert.Equal(PromptProfile.CompactName, run.Request.ProfileName);
        var train = await ReadJsonl($"offline-compact/{manifest.Version}/train.jsonl");
        Assert.Equal(32, train.Count);
        Assert.All(train, e => Assert.All(e.Market.Series, s => Assert.Equal(8, s.Days.Count)));
        Assert.All(train, e => Assert.DoesNotContain(MetricNames.MarketCapUsd, e.Market.MetricNames));
        Assert.All(train, e => Assert.True(e.Reward.Total >= manifest.QualityGate, $"{e.Id} scored {e.Reward.Total}"));
    }

    [Fact]
    public async Task Low_scoring_examples_are_rejected_but_stored_with_their_scores()
    {
        // A gate above what the analyst reaches on some windows: those are rejected, kept in PostgreSQL, not published.
        await using var services = fx.Synth();
        var request = new SynthRunRequest("small", "offline", ["market"], Name: "strict-gate", QualityGate: 0.995);
        var manifest = await Generate(services, request);
        var store = services.GetRequiredService<SynthStore>();
        var run = await store.GetRunAsync("strict-gate", request.DatasetVersion, default);
        var rows = await store.ListExamplesAsync(run!.Id, default);

        Assert.True(manifest.Rejected > 0);
        Assert.Equal(rows.Count(r => !r.Accepted), manifest.Rejected);
        Assert.All(rows.Where(r => !r.Accepted), r => Assert.True(r.RewardTotal < 0.995));
        Assert.Equal(manifest.Rejected, manifest.RejectedRewards.Count);
        Assert.True(manifest.RejectedRewards.Max < 0.995);
        var published = (await ReadJsonl($"strict-gate/{request.DatasetVersion}/train.jsonl")).Concat(await ReadJsonl($"strict-gate/{request.DatasetVersion}/eval.jsonl"));
        Assert.All(published, e => Assert.True(e.Reward.Total >= 0.995));
    }

    [Fact]
    public async Task A_run_killed_mid_way_resumes_to_the_same_data_set_without_duplicates()
    {
        await using var services = fx.Synth(new() { ["Synth:ProgressInterval"] = "00:00:00" });
        var whole = await Generate(services, new SynthRunRequest("small", "offline", ["market"], Name: "uninterrupted"));

        var request = new SynthRunRequest("small", "offline", ["market"], Name: "interrupted");
        using var kill = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Generate(services, request, (p, _) =>
        {
            if (p.Done >= 15) kill.Cancel();
            return Task.CompletedTask;
        }, kill.Token));

        var store = services.GetRequiredService<SynthStore>();
        var run = (await store.GetRunAsync("interrupted", request.DatasetVersion, default))!;
        var partial = (await store.ListExamplesAsync(run.Id, default)).Count;
        Assert.InRange(partial, 15, run.Planned - 1);
        Assert.False(await fx.Blobs.ExistsAsync(BlobContainers.Datasets, $"interrupted/{request.DatasetVersion}/manifest.json"));

        var resumed = await services.GetRequiredService<SynthRunner>().RunAsync(run.Id, null, default);
        Assert.Equal(run.Planned, (await store.ListExamplesAsync(run.Id, default)).Count);
        Assert.Equal((whole.Train.Count, whole.Eval.Count, whole.Generated, whole.Rejected), (resumed.Train.Count, resumed.Eval.Count, resumed.Generated, resumed.Rejected));
        Assert.Equal(whole.Train.ByKind, resumed.Train.ByKind);
        Assert.Equal(whole.Train.ByCondition, resumed.Train.ByCondition);
        var a = await ReadJsonl($"uninterrupted/{request.DatasetVersion}/train.jsonl");
        var b = await ReadJsonl($"interrupted/{request.DatasetVersion}/train.jsonl");
        Assert.Equal(a.Select(e => e.Id), b.Select(e => e.Id));
        Assert.Equal(a.Select(e => e.Answer), b.Select(e => e.Answer));
    }

    [Fact]
    public async Task Teacher_examples_keep_reasoning_and_answer_and_identical_answers_are_deduplicated()
    {
        await using var server = await FakeOpenAi.StartAsync(new FakeOpenAi.Reply(200,
            Content: "<think>ignored: the reasoning field wins</think>## Summary\nBTC closed higher.", Reasoning: "Step 1: read the closes."));
        await using var services = fx.Synth(new()
        {
            ["Teacher:BaseUrl"] = server.BaseUrl.ToString(),
            ["Teacher:ApiKey"] = FakeOpenAi.ApiKey,
            ["Teacher:RequestsPerMinute"] = "10000",
        });
        var request = new SynthRunRequest("small", "openrouter", ["market"], Name: "fake-r1", QualityGate: 0);
        var manifest = await Generate(services, request);

        Assert.Equal(manifest.Generated, server.Calls.Count);
        Assert.Equal(manifest.Generated - 1, manifest.Duplicates); // every answer is the same text
        var kept = (await ReadJsonl($"fake-r1/{request.DatasetVersion}/train.jsonl")).Concat(await ReadJsonl($"fake-r1/{request.DatasetVersion}/eval.jsonl")).ToList();
        var only = Assert.Single(kept);
        Assert.Equal("Step 1: read the closes.", only.Reasoning);
        Assert.Equal("## Summary\nBTC closed higher.", only.Answer);
        // Labelled with the endpoint it really came from and the model, never a name it did not earn.
        Assert.Equal($"{server.BaseUrl.Host}:deepseek/deepseek-r1", manifest.Teacher);
        Assert.Equal(manifest.Teacher, only.Teacher);
        Assert.All(server.Calls, c => Assert.Contains("[close_usd]", c.Body["messages"]![0]!["content"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Without_market_data_the_run_says_how_to_load_it()
    {
        var empty = await Cortex1.TestSupport.PostgresServer.CreateDatabaseAsync();
        await using var services = new ServiceCollection().AddLogging().AddSingleton(empty).AddSingleton(fx.Blobs)
            .AddSynthCore(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()).BuildServiceProvider();
        var e = await Assert.ThrowsAsync<MarketDataMissingException>(() => Generate(services, new SynthRunRequest()));
        Assert.Contains("load-embedded", e.Message);
    }

    [Fact]
    public async Task A_job_that_carries_a_run_request_creates_the_run_and_publishes_its_data_set()
    {
        // The payload as another service writes it (the Trainer's pipeline knows no Synth types, only this JSON).
        await using var services = fx.Synth();
        var queue = services.GetRequiredService<Cortex1.Data.Jobs.JobQueue>();
        var name = $"piped-{Guid.NewGuid():N}"[..20];
        var id = await queue.EnqueueAsync(SynthJobHandler.JobKind, new { request = new { size = "small", teacher = "offline", name, version = "offline-s42" } });
        var job = (await queue.ClaimAsync(id, "w", SynthJobHandler.JobKind))!;
        var handler = new SynthJobHandler(services.GetRequiredService<SynthRunner>(), services.GetRequiredService<SynthStore>());

        await handler.RunAsync(new Cortex1.Data.Jobs.JobContext(job, queue, "w"), default);

        var run = (await services.GetRequiredService<SynthStore>().GetRunAsync(name, "offline-s42", default))!;
        Assert.Equal(id, run.JobId);
        Assert.Equal("succeeded", run.Status);
        var train = await ReadJsonl(DatasetPaths.File(name, "offline-s42", DatasetPaths.TrainFile));
        Assert.NotEmpty(train);
        Assert.True(await fx.Blobs.ExistsAsync(BlobContainers.Datasets, DatasetPaths.File(name, "offline-s42", DatasetPaths.ManifestFile)));
    }

    [Fact]
    public async Task A_job_with_neither_a_run_nor_a_request_fails_for_good()
    {
        await using var services = fx.Synth();
        var queue = services.GetRequiredService<Cortex1.Data.Jobs.JobQueue>();
        var id = await queue.EnqueueAsync(SynthJobHandler.JobKind, new { });
        var job = (await queue.ClaimAsync(id, "w", SynthJobHandler.JobKind))!;
        var handler = new SynthJobHandler(services.GetRequiredService<SynthRunner>(), services.GetRequiredService<SynthStore>());
        await Assert.ThrowsAsync<Cortex1.Data.Jobs.PermanentJobException>(() => handler.RunAsync(new Cortex1.Data.Jobs.JobContext(job, queue, "w"), default));
    }
}
