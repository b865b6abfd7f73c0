using Cortex1.Domain;
using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;
using Cortex1.Model;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using Cortex1.Rewards;
using Cortex1.TestSupport;
using Cortex1.Trainer.Grpo;
using Cortex1.Trainer.Runs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Cortex1.Trainer.Tests;

/// <summary>A whole training job on real PostgreSQL and Azurite with the embedded tiny model.</summary>
public sealed class TrainingRunHandlerTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), $"cortex1-trainer-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, true);
    }

    [Fact]
    public async Task TrainsRecordsEveryStepOnceAndPublishesAPeftAdapter()
    {
        var (db, blobs, handler, queue) = await SetUpAsync();
        var request = await RequestAsync(blobs, sft: 1, grpo: 2);
        var job = await ClaimAsync(queue, request);

        await handler.RunAsync(new JobContext(job, queue, "w"), CancellationToken.None);

        var steps = await new TrainingStore(db).StepsAsync(job.Id, CancellationToken.None);
        Assert.Equal(["sft:0", "grpo:0", "grpo:1"], steps.Select(s => $"{s.Phase}:{s.Step}"));
        Assert.All(steps.Where(s => s.Phase == "grpo"), s => Assert.InRange(s.RewardMean!.Value, 0, 1));
        Assert.True(await blobs.ExistsAsync(BlobContainers.Adapters, $"{request.Name}/adapter_config.json"));
        Assert.True(await blobs.ExistsAsync(BlobContainers.Adapters, $"{request.Name}/adapter_model.safetensors"));
        Assert.False(await blobs.ExistsAsync(BlobContainers.Adapters, $"{request.Name}/{AdamW.StateFile}"), "the published adapter carries no optimiser state");
        await foreach (var _ in blobs.ListAsync(BlobContainers.Adapters, $"{request.Name}/checkpoints/"))
            Assert.Fail("checkpoints are removed once the final adapter is published");

        // The published adapter loads onto the base model as PEFT (what Inference does).
        var local = Path.Combine(_cache, "published");
        await new BlobMirror(blobs).MirrorAsync(BlobContainers.Adapters, request.Name, local, CancellationToken.None);
        using var model = LanguageModel.Load(TinyModel.Embedded(_cache), new LoadOptions(Quantization.None));
        model.LoadAdapter(request.Name, local);
        Assert.Contains(request.Name, model.Adapters);
    }

    [Fact]
    public async Task AJobKilledMidwayResumesFromItsLastCheckpointWithoutRepeatingSteps()
    {
        var (db, blobs, handler, queue) = await SetUpAsync();
        var request = await RequestAsync(blobs, sft: 0, grpo: 3);
        var job = await ClaimAsync(queue, request);
        var store = new TrainingStore(db);

        // "Kill" the worker when it reports the second step: the first step's checkpoint is recorded by then, the
        // second step is recorded but its checkpoint is not (the kill lands on that upload). Reacting to the report
        // itself, not polling the database, keeps the kill at this exact point however fast or slow the machine is.
        using var kill = new CancellationTokenSource();
        var context = new JobContext(job, queue, "w", (_, message) =>
        {
            if (message?.StartsWith("grpo step 2/", StringComparison.Ordinal) == true) kill.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handler.RunAsync(context, kill.Token));
        var checkpoint = await store.LatestCheckpointAsync(job.Id, CancellationToken.None);
        Assert.True(await blobs.ExistsAsync(BlobContainers.Adapters, $"{checkpoint!.BlobPrefix}/{AdamW.StateFile}"), "a checkpoint carries the optimiser's moments");
        Assert.Equal(("grpo", 0), (checkpoint.Phase, checkpoint.Step));
        var before = await store.StepsAsync(job.Id, CancellationToken.None);
        Assert.Equal(["grpo:0", "grpo:1"], before.Select(s => $"{s.Phase}:{s.Step}"));   // step 1 ran, its checkpoint did not land

        await handler.RunAsync(new JobContext(job, queue, "w"), CancellationToken.None);

        var steps = await store.StepsAsync(job.Id, CancellationToken.None);
        Assert.Equal(["grpo:0", "grpo:1", "grpo:2"], steps.Select(s => $"{s.Phase}:{s.Step}"));
        Assert.Equal(before.Select(s => s.Seconds), steps.Take(before.Count).Select(s => s.Seconds)); // not re-recorded
    }

    [Fact]
    public async Task SeveralPromptsPerStepTrainOnABatchOfGroups()
    {
        // Two prompts per step: SFT on a batch of two answers, GRPO on two groups of completions (the padded-batch path).
        var (db, blobs, handler, queue) = await SetUpAsync();
        var request = await RequestAsync(blobs, sft: 1, grpo: 2) with { PromptsPerStep = 2 };
        var job = await ClaimAsync(queue, request);

        await handler.RunAsync(new JobContext(job, queue, "w"), CancellationToken.None);

        var steps = await new TrainingStore(db).StepsAsync(job.Id, CancellationToken.None);
        Assert.Equal(["sft:0", "grpo:0", "grpo:1"], steps.Select(s => $"{s.Phase}:{s.Step}"));
        Assert.All(steps, s => Assert.True(double.IsFinite(s.Loss)));
        Assert.True(await blobs.ExistsAsync(BlobContainers.Adapters, $"{request.Name}/adapter_model.safetensors"));
        Assert.Equal("promptsPerStep must be in [1, 64]", (request with { PromptsPerStep = 0 }).Validate());
    }

    [Fact]
    public async Task EveryRunRecordsItsEvidenceAndTheHeldOutRewardBeforeDuringAndAfter()
    {
        var (db, blobs, handler, queue) = await SetUpAsync();
        var request = await RequestAsync(blobs, sft: 2, grpo: 2) with { EvalEvery = 1, LossType = "dapo", ScaleRewards = "batch", LrScheduler = "cosine" };
        var job = await ClaimAsync(queue, request);

        var result = await handler.RunAsync(new JobContext(job, queue, "w"), CancellationToken.None);

        var store = new TrainingStore(db);
        var evals = await store.EvalsAsync(job.Id, CancellationToken.None);
        Assert.Equal(["base:0", "sft:1", "sft:2", "grpo:1", "grpo:2"], evals.Select(e => $"{e.Phase}:{e.Step}"));
        Assert.All(evals, e =>
        {
            Assert.Equal(2, e.Prompts);   // the eval split's two prompts
            Assert.InRange(e.RewardMean, 0, 1);
            Assert.True(e.RewardStdError >= 0);
            Assert.Contains(Cortex1.Rewards.RewardComponents.Structure, e.Components.Keys);
        });
        var json = System.Text.Json.JsonSerializer.SerializeToElement(result, System.Text.Json.JsonSerializerOptions.Web);
        Assert.Equal(evals[0].RewardMean, json.GetProperty("evalRewardBefore").GetDouble());
        Assert.Equal(evals[2].RewardMean, json.GetProperty("evalRewardAfterSft").GetDouble());
        Assert.Equal(evals[^1].RewardMean, json.GetProperty("evalRewardAfter").GetDouble());

        var steps = await store.StepsAsync(job.Id, CancellationToken.None);
        Assert.All(steps, s => Assert.True(s.GradNorm >= 0 && s.LearningRate > 0, $"{s.Phase}:{s.Step}"));
        Assert.All(steps.Where(s => s.Phase == "grpo"), s =>
        {
            Assert.Contains(Cortex1.Rewards.RewardComponents.Structure, s.RewardComponents!.Keys);
            Assert.InRange(s.ZeroStdShare!.Value, 0, 1);
            Assert.InRange(s.TruncatedShare!.Value, 0, 1);
            Assert.True(s.GroupStdMean >= 0 && s.ClipRatio >= 0 && s.Kl >= 0);
        });
        // Cosine decay over each phase's two updates: the second runs at half the rate.
        Assert.Equal(request.LearningRate / 2, steps.Single(s => s is { Phase: "grpo", Step: 1 }).LearningRate!.Value, 12);

        foreach (var file in TrainingReport.Files)
            Assert.True(await blobs.ExistsAsync(BlobContainers.Reports, $"training/{request.Name}/{file}"), file);
    }

    [Fact]
    public async Task AMissingDataSetFailsTheJobPermanently()
    {
        var (_, _, handler, queue) = await SetUpAsync();
        var job = await ClaimAsync(queue, new TrainingRunRequest($"r{Guid.NewGuid():N}"[..20], "nope", "v1"));

        var e = await Assert.ThrowsAsync<PermanentJobException>(() => handler.RunAsync(new JobContext(job, queue, "w"), CancellationToken.None));
        Assert.Contains("datasets/nope/v1/train.jsonl", e.Message);
    }

    private async Task<(NpgsqlDataSource, BlobStore, TrainingRunHandler, JobQueue)> SetUpAsync()
    {
        var db = await PostgresServer.CreateDatabaseAsync();
        var blobs = await AzuriteServer.CreateStoreAsync();
        var handler = new TrainingRunHandler(new TrainingStore(db), blobs, new BlobMirror(blobs), RewardSystem.Default,
            Options.Create(new TrainerOptions { CacheFolder = _cache }), NullLogger<TrainingRunHandler>.Instance);
        return (db, blobs, handler, new JobQueue(db));
    }

    private static async Task<Job> ClaimAsync(JobQueue queue, TrainingRunRequest request)
    {
        await queue.EnqueueAsync(TrainingRunRequest.JobKind, request);
        return (await queue.ClaimAsync("w", [TrainingRunRequest.JobKind], TimeSpan.FromMinutes(10)))!;
    }

    private static async Task<TrainingRunRequest> RequestAsync(BlobStore blobs, int sft, int grpo)
    {
        var dataset = await TrainingData.UploadAsync(blobs);
        return new TrainingRunRequest($"adapter-{dataset}", dataset, "v1", BaseModel: "tiny", Quantization: "none",
            SftSteps: sft, GrpoSteps: grpo, NumGenerations: 2, MaxCompletionLength: 6, CheckpointEvery: 1);
    }
}
