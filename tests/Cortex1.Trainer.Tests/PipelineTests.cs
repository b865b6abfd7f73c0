using System.Text.Json;
using Cortex1.Data;
using Cortex1.Data.Jobs;
using Cortex1.Data.Market;
using Cortex1.Data.Storage;
using Cortex1.Domain;
using Cortex1.TestSupport;
using Cortex1.Trainer.Evaluation;
using Cortex1.Trainer.Pipeline;
using Cortex1.Trainer.Runs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Cortex1.Trainer.Tests;

/// <summary>
/// The orchestrator on real PostgreSQL and Azurite, with this test playing each service: it claims the job the pipeline
/// queued in that service's queue, checks the payload is the service's contract, and leaves the output the service would.
/// </summary>
public sealed class PipelineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EachMissingOutputBecomesItsServicesJobAFailedOneIsQueuedAgainAndALaterWalkReusesEverything()
    {
        var (services, db, blobs, adapter, dataset) = await SetUpAsync();
        var runner = services.GetRequiredService<PipelineRunner>();
        var queue = services.GetRequiredService<JobQueue>();
        var store = services.GetRequiredService<PipelineStore>();

        var walk = runner.WalkAsync(CancellationToken.None);

        // Ingest: the embedded history, as POST /api/ingest/runs {"mode":"load-embedded"} queues it.
        var ingest = await ClaimAsync(queue, PipelinePlan.IngestJobKind);
        Assert.Equal("load-embedded", ingest.Payload.RootElement.GetProperty("mode").GetString());
        await StoreMarketDayAsync(services);
        Assert.True(await queue.CompleteAsync(ingest.Id, "test", new { rows = 1 }));

        // Synth: a run request (size, teacher, name, version), answered by publishing the data set.
        var synth = await ClaimAsync(queue, PipelinePlan.SynthJobKind);
        var request = synth.Payload.RootElement.GetProperty("request");
        Assert.Equal("small", request.GetProperty("size").GetString());
        Assert.Equal("offline", request.GetProperty("teacher").GetString());
        Assert.Equal(dataset, request.GetProperty("name").GetString());
        Assert.Equal("offline-s42", request.GetProperty("version").GetString());
        await PublishDatasetAsync(blobs, dataset);
        Assert.True(await queue.CompleteAsync(synth.Id, "test", new { }));

        // Trainer: the profile's recipe (configs/grpo/tiny.json) with its override, named for the pipeline. It fails:
        // the walk stops there and says why.
        var train = await ClaimAsync(queue, TrainingRunRequest.JobKind);
        var run = train.PayloadAs<TrainingRunRequest>();
        await services.GetRequiredService<TrainingStore>().EnsureRunAsync(train.Id, run, default); // as the handler records it
        Assert.Equal((adapter, dataset, "offline-s42", "tiny", 1, 8), (run.Name, run.Dataset, run.Version, run.BaseModel, run.SftSteps, run.GrpoSteps));
        Assert.True(await queue.FailAsync(train.Id, "test", "out of memory", retryable: false));
        await walk.WaitAsync(Patience);
        var failed = await store.ReadAsync(runner.Pipeline, default);
        Assert.Equal(PipelineStates.Failed, PipelineStates.Of([.. failed.Select(s => s.State)]));
        Assert.Equal(["done", "done", "failed", "waiting", "waiting"], failed.Select(s => s.State));
        Assert.Contains("out of memory", failed[2].Error);

        // The next walk reuses the two outputs and queues the same training job again (it resumes from its checkpoints).
        var again = runner.WalkAsync(CancellationToken.None);
        var retried = await ClaimAsync(queue, TrainingRunRequest.JobKind);
        Assert.Equal(train.Id, retried.Id);
        await blobs.UploadTextAsync(BlobContainers.Adapters, $"{adapter}/adapter_config.json", "{}");
        Assert.True(await queue.CompleteAsync(retried.Id, "test", new { evalRewardBefore = 0.1, evalRewardAfter = 0.3 }));

        // Evaluation: the adapter on the recipe's base model, on the same data set.
        var eval = await ClaimAsync(queue, EvalJobRequest.JobKind);
        var evalRequest = eval.PayloadAs<EvalJobRequest>();
        Assert.Equal((adapter, "tiny", dataset, "offline-s42", "eval"), (evalRequest.Model, evalRequest.BaseModel, evalRequest.Dataset, evalRequest.Version, evalRequest.Split));
        await InsertEvalRunAsync(db, adapter, dataset);
        Assert.True(await queue.CompleteAsync(eval.Id, "test", new { }));

        // Inference: the stage waits until an instance says it serves the adapter.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await store.ReadAsync(runner.Pipeline, default)).Single(s => s.Name == PipelinePlan.Serve).State != PipelineStates.Running)
        {
            Assert.True(clock.Elapsed < Patience, "the serve stage never started");
            await Task.Delay(20);
        }
        await Task.Delay(200);
        Assert.False(again.IsCompleted, "the serve stage waits for Inference");
        // A status written before this adapter was published (an earlier process that served one of the same name) is stale.
        await blobs.UploadTextAsync(BlobContainers.Adapters, $"{PipelinePlan.ServingFolder}/{adapter}-old.json",
            JsonSerializer.Serialize(new { model = "tiny", adapters = new[] { adapter }, at = DateTimeOffset.UtcNow.AddHours(-1) }));
        await Task.Delay(1500);
        Assert.False(again.IsCompleted, "a status older than the adapter does not say it is served");
        await blobs.UploadTextAsync(BlobContainers.Adapters, $"{PipelinePlan.ServingFolder}/{adapter}-host.json",
            JsonSerializer.Serialize(new { model = "tiny", adapters = new[] { "other", adapter }, at = DateTimeOffset.UtcNow.AddSeconds(1) }));
        await again.WaitAsync(Patience);
        Assert.Equal($"{adapter}-host", ((JsonElement)(await store.ReadAsync(runner.Pipeline, default)).Single(s => s.Name == PipelinePlan.Serve).Output!).GetProperty("instance").GetString());

        var done = await store.ReadAsync(runner.Pipeline, default);
        Assert.Equal(PipelineStates.Done, PipelineStates.Of([.. done.Select(s => s.State)]));
        Assert.All(done, s => Assert.Equal(1.0, s.Progress));
        var trained = (JsonElement)done.Single(s => s.Name == PipelinePlan.Train).Output!;
        Assert.Equal(0.3, trained.GetProperty("evalRewardAfter").GetDouble());
        Assert.Equal(adapter, ((JsonElement)done.Single(s => s.Name == PipelinePlan.Serve).Output!).GetProperty("model").GetString());

        // A later start: every output exists, nothing is queued.
        var jobs = await CountJobsAsync(db);
        await runner.WalkAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(jobs, await CountJobsAsync(db));
        Assert.All(await store.ReadAsync(runner.Pipeline, default), s => Assert.StartsWith("reused", s.Message));
    }

    /// <summary>
    /// A failed stage whose configuration changed since is queued anew, not resumed with the old payload (which would fail
    /// again, or train what the profile no longer asks for); the failed training run hands its adapter name to the new
    /// one and keeps its record under another name.
    /// </summary>
    [Fact]
    public async Task AFailedStageWhoseConfigurationChangedIsQueuedAnewAndTheNewRunTakesTheName()
    {
        var (services, db, blobs, adapter, dataset) = await SetUpAsync();
        var runner = services.GetRequiredService<PipelineRunner>();
        var queue = services.GetRequiredService<JobQueue>();
        var training = services.GetRequiredService<TrainingStore>();
        await StoreMarketDayAsync(services);
        await PublishDatasetAsync(blobs, dataset);

        var walk = runner.WalkAsync(CancellationToken.None);
        var first = await ClaimAsync(queue, TrainingRunRequest.JobKind);
        await training.EnsureRunAsync(first.Id, first.PayloadAs<TrainingRunRequest>(), default);
        Assert.True(await queue.FailAsync(first.Id, "test", "the learning rate diverged", retryable: false));
        await walk.WaitAsync(Patience);

        // The user corrects the profile and walks again.
        services.GetRequiredService<IOptions<PipelineOptions>>().Value.Selected().Train["sftSteps"] = "2";
        var again = runner.WalkAsync(CancellationToken.None);
        var second = await ClaimAsync(queue, TrainingRunRequest.JobKind);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(2, second.PayloadAs<TrainingRunRequest>().SftSteps);
        Assert.Equal(JobStatus.Failed, (await queue.GetAsync(first.Id))!.Status);

        await training.RecordCheckpointAsync(first.Id, new TrainingCheckpoint("sft", 1, $"{adapter}/checkpoints/sft-00001"), default);
        await training.EnsureRunAsync(second.Id, second.PayloadAs<TrainingRunRequest>(), default);
        Assert.Equal(second.Id, await training.JobOfAsync(adapter, default));
        Assert.Null(await training.LatestCheckpointAsync(first.Id, default)); // under the name's prefix, which the new run writes
        Assert.Equal(first.Id, await training.JobOfAsync($"{adapter}.failed-{first.Id}", default));
        Assert.True(await queue.FailAsync(second.Id, "test", "stop here", retryable: false));
        await again.WaitAsync(Patience);

        // Unchanged since it failed: the same job again (it resumes from its checkpoints).
        var third = runner.WalkAsync(CancellationToken.None);
        Assert.Equal(second.Id, (await ClaimAsync(queue, TrainingRunRequest.JobKind)).Id);
        Assert.True(await queue.FailAsync(second.Id, "test", "stop here", retryable: false));
        await third.WaitAsync(Patience);

        // A name held by a run that is not failed is refused, in words.
        var other = await queue.EnqueueAsync(TrainingRunRequest.JobKind, new { });
        await using (var cmd = db.CreateCommand("UPDATE jobs SET status = 'succeeded' WHERE id = @id"))
        {
            cmd.Parameters.AddWithValue("id", second.Id);
            await cmd.ExecuteNonQueryAsync();
        }
        var e = await Assert.ThrowsAsync<PermanentJobException>(() => training.EnsureRunAsync(other, second.PayloadAs<TrainingRunRequest>(), default));
        Assert.Contains($"'{adapter}' is taken", e.Message);
    }

    [Fact]
    public void EveryShippedProfileHasItsOwnAdapterAndASharedNameIsRefused()
    {
        var shipped = new PipelineOptions();
        new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build()
            .GetSection(PipelineOptions.Section).Bind(shipped);
        Assert.Contains("ci", shipped.Profiles.Keys);
        foreach (var name in shipped.Profiles.Keys)
        {
            shipped.Profile = name;
            Assert.Same(shipped.Profiles[name], shipped.Selected());
        }
        Assert.Equal(shipped.Profiles.Count, shipped.Profiles.Values.Select(p => p.Adapter).Distinct().Count());

        var sharing = new PipelineOptions
        {
            Profile = "ci",
            Profiles = new(StringComparer.OrdinalIgnoreCase) { ["baby"] = new() { Adapter = "a1" }, ["ci"] = new() { Adapter = "a1" }, ["phi-4"] = new() { Adapter = "a2" } },
        };
        var e = Assert.Throws<InvalidOperationException>(sharing.Selected);
        Assert.Contains("'a1' is also the adapter of profile baby", e.Message);
    }

    [Fact]
    public void TheProfilesRecipeTakesItsOverridesAsTypedFieldsAndABadOneIsRefused()
    {
        var profile = new PipelineProfile
        {
            Recipe = "configs/grpo/tiny.json", Adapter = "a1",
            Train = new(StringComparer.OrdinalIgnoreCase) { ["SftSteps"] = "3", ["learningRate"] = "0.002", ["lossType"] = "dapo" },
        };
        var run = PipelinePlan.TrainingRun(profile, "d1", "v1");
        Assert.Equal(("a1", "d1", "v1"), (run.Name, run.Dataset, run.Version));
        Assert.Equal((3, 0.002, "dapo"), (run.SftSteps, run.LearningRate, run.LossType));
        Assert.Equal((8, 64, "tiny"), (run.GrpoSteps, run.MaxCompletionLength, run.BaseModel)); // from the recipe file

        profile.Train["numGenerations"] = "1";
        var e = Assert.Throws<InvalidDataException>(() => PipelinePlan.TrainingRun(profile, "d1", "v1"));
        Assert.Contains("numGenerations", e.Message);
    }

    [Theory]
    [InlineData("", "waiting")]
    [InlineData("waiting,waiting", "waiting")]
    [InlineData("done,running,waiting", "running")]
    [InlineData("done,waiting", "running")]
    [InlineData("done,failed,waiting", "failed")]
    [InlineData("done,done", "done")]
    public void ThePipelinesStateFollowsItsStages(string stages, string expected) =>
        Assert.Equal(expected, PipelineStates.Of(stages.Split(',', StringSplitOptions.RemoveEmptyEntries)));

    [Fact]
    public async Task TheEvalJobAnswersInTheTrainersEngineAndPublishesAReport()
    {
        var (services, db, blobs, _, dataset) = await SetUpAsync();
        await TrainingData.UploadAsync(blobs, dataset, "v1");
        var queue = services.GetRequiredService<JobQueue>();
        var id = await queue.EnqueueAsync(EvalJobRequest.JobKind, new EvalJobRequest("tiny", dataset, "v1", BaseModel: "tiny", MaxTokens: 6));
        var job = (await queue.ClaimAsync(id, "w", EvalJobRequest.JobKind))!;
        var messages = new List<string?>();

        var result = JsonSerializer.SerializeToElement(await services.GetRequiredService<EvalJobHandler>()
            .RunAsync(new JobContext(job, queue, "w", (_, m) => messages.Add(m)), CancellationToken.None));

        Assert.Equal(2, result.GetProperty("answers").GetInt32());
        var report = result.GetProperty("report").GetString()!;
        Assert.StartsWith($"{BlobContainers.Reports}/eval/", report);
        Assert.Contains("# Evaluation", await blobs.DownloadTextAsync(BlobContainers.Reports, report[(BlobContainers.Reports.Length + 1)..]));
        var row = (await services.GetRequiredService<EvalStore>().FindAsync("tiny", default))!;
        Assert.Equal((2, "trainer:tiny"), (row.Answers, row.Request.Endpoint));
        Assert.Contains(messages, m => m?.StartsWith("[2/2]", StringComparison.Ordinal) == true);

        // An adapter that was never trained fails the job for good, with what to do.
        var missing = await queue.EnqueueAsync(EvalJobRequest.JobKind, new EvalJobRequest("no-such-adapter", dataset, "v1", BaseModel: "tiny"));
        var claimed = (await queue.ClaimAsync(missing, "w", EvalJobRequest.JobKind))!;
        var e = await Assert.ThrowsAsync<PermanentJobException>(() =>
            services.GetRequiredService<EvalJobHandler>().RunAsync(new JobContext(claimed, queue, "w"), CancellationToken.None));
        Assert.Contains("adapters/no-such-adapter/", e.Message);
    }

    private static async Task<(ServiceProvider, NpgsqlDataSource, BlobStore, string Adapter, string Dataset)> SetUpAsync()
    {
        var db = await PostgresServer.CreateDatabaseAsync();
        var blobs = await AzuriteServer.CreateStoreAsync();
        var adapter = $"a{Guid.NewGuid():N}"[..12];
        var dataset = $"d{Guid.NewGuid():N}"[..12];
        var options = new PipelineOptions
        {
            Enabled = true, Profile = "test", PollSeconds = 0.05,
            Profiles = new(StringComparer.OrdinalIgnoreCase)
            {
                ["test"] = new PipelineProfile
                {
                    Recipe = "configs/grpo/tiny.json", Adapter = adapter, Dataset = dataset, EvalMaxTokens = 16,
                    Train = new(StringComparer.OrdinalIgnoreCase) { ["sftSteps"] = "1" },
                },
            },
        };
        var services = new ServiceCollection().AddLogging().AddMetrics()
            .AddSingleton(db).AddSingleton(blobs).AddSingleton<BlobMirror>().AddSingleton<JobQueue>().AddSingleton<StorageReadiness>()
            .AddSingleton(Options.Create(options)).AddSingleton(Options.Create(new TrainerOptions { CacheFolder = Path.Combine(Path.GetTempPath(), $"cortex1-pipeline-{Guid.NewGuid():N}") }))
            .AddMarketStore().AddSingleton<TrainingStore>().AddSingleton<EvalStore>().AddSingleton<EvalRunner>().AddSingleton<EvalJobHandler>()
            .AddSingleton(new Cortex1.Rewards.RewardSystem())
            .AddSingleton<PipelineStore>().AddSingleton<PipelinePlan>().AddSingleton<PipelineMetrics>().AddSingleton<PipelineRunner>()
            .BuildServiceProvider();
        return (services, db, blobs, adapter, dataset);
    }

    /// <summary>What Ingest leaves: one embedded day.</summary>
    private static Task StoreMarketDayAsync(IServiceProvider services) =>
        services.GetRequiredService<MarketStore>().UpsertAsync(new MarketBatch(
            [new MarketDay("bitcoin", new DateOnly(2021, 1, 1), new Dictionary<string, double> { [MetricNames.CloseUsd] = 29000 }, "embedded")], []));

    /// <summary>What Synth leaves: the data set's splits and its manifest.</summary>
    private static async Task PublishDatasetAsync(BlobStore blobs, string dataset)
    {
        await TrainingData.UploadAsync(blobs, dataset, "offline-s42");
        await blobs.UploadTextAsync(BlobContainers.Datasets, DatasetPaths.File(dataset, "offline-s42", DatasetPaths.ManifestFile),
            """{"train":{"count":2},"eval":{"count":2}}""");
    }

    private static async Task<Job> ClaimAsync(JobQueue queue, string kind)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            if (await queue.ClaimAsync("test", [kind]) is { } job) return job;
            await Task.Delay(20);
        }
        throw new TimeoutException($"The pipeline queued no {kind} job.");
    }

    private static async Task InsertEvalRunAsync(NpgsqlDataSource db, string model, string dataset)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO eval_runs (model, endpoint, dataset, version, split, max_tokens, cost_bps, answers, forecasts, reward, summary, report_prefix)
            VALUES (@m, 'test', @d, 'offline-s42', 'eval', 16, 10, 2, 0, 0.25, '{}', 'reports/eval/77')
            """);
        cmd.Parameters.AddWithValue("m", model);
        cmd.Parameters.AddWithValue("d", dataset);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountJobsAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM jobs");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
