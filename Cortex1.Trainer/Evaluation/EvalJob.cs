using System.Text.RegularExpressions;
using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;
using Cortex1.Domain;
using Cortex1.Model;
using Cortex1.Model.Chat;
using Cortex1.Model.Generation;
using Cortex1.Model.Loading;
using Cortex1.Trainer.Runs;
using Microsoft.Extensions.Options;

namespace Cortex1.Trainer.Evaluation;

/// <summary>
/// Payload of an <c>eval</c> job: the adapter <c>adapters/{Model}/</c> (or, with <see cref="Model"/> equal to the base
/// model's name, the base alone) on <see cref="BaseModel"/>, answering a data set's split in the Trainer's own engine.
/// </summary>
public sealed partial record EvalJobRequest(
    string Model, string Dataset, string Version, string BaseModel = BaseModelReference.BabyName,
    string Quantization = QuantizationName.None, string Split = "eval", int MaxTokens = 1024, double CostBps = 10)
{
    public const string JobKind = "eval";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex SafeName();

    public bool IsBaseModel => Model == BaseModel;

    public string? Validate() =>
        !SafeName().IsMatch(Model ?? "") && Model != BaseModel ? "model must be an adapter name (a-z, 0-9, '.', '_', '-') or the base model" :
        !SafeName().IsMatch(Dataset ?? "") || !SafeName().IsMatch(Version ?? "") ? "dataset and version must be data set names" :
        Split is not ("eval" or "train") ? "split is eval or train" :
        !QuantizationName.TryParse(Quantization, out _) ? $"quantization must be one of: {string.Join(", ", QuantizationName.All)}" :
        MaxTokens is < 1 or > 8192 ? "maxTokens must be in [1, 8192]" :
        null;
}

/// <summary>
/// Runs an <c>eval</c> job: the model answers in this process (no call to another service), greedy, and
/// <see cref="EvalRunner"/> scores, stores and publishes the report to <c>reports/eval/{id}/</c>. A retried job starts
/// over; nothing is stored until every answer is scored.
/// </summary>
public sealed class EvalJobHandler(EvalRunner runner, BlobStore blobs, BlobMirror mirror, IOptions<TrainerOptions> options) : IJobHandler
{
    public string Kind => EvalJobRequest.JobKind;

    public async Task<object?> RunAsync(JobContext context, CancellationToken ct)
    {
        var request = context.Job.PayloadAs<EvalJobRequest>();
        if (request.Validate() is { } problem) throw new PermanentJobException($"Invalid evaluation: {problem}.");
        var cache = options.Value.CacheFolder;
        await context.ReportProgressAsync(0, $"loading {request.BaseModel}", ct);
        var folder = await BaseModelFolders.LocalAsync(request.BaseModel, mirror, cache, ct);
        using var model = await Task.Run(() => LanguageModel.Load(folder, new LoadOptions(QuantizationName.Parse(request.Quantization))), ct);
        string? adapter = null;
        if (!request.IsBaseModel)
        {
            if (!await blobs.ExistsAsync(BlobContainers.Adapters, $"{request.Model}/adapter_config.json", ct))
                throw new PermanentJobException($"No adapter at {BlobContainers.Adapters}/{request.Model}/: train it first.");
            var local = await mirror.MirrorAsync(BlobContainers.Adapters, request.Model, Path.Combine(cache, "eval-adapters", $"{context.Job.Id}-{request.Model}"), ct);
            model.LoadAdapter(adapter = request.Model, local);
        }
        var source = new LocalModelAnswers(model, adapter, request.MaxTokens, $"trainer:{request.BaseModel}" + (adapter is null ? "" : $"+{adapter}"));
        var total = (await runner.ReadSplitAsync(request.Dataset, request.Version, request.Split, ct)).Count;
        var done = 0;
        var outcome = await runner.RunAsync(new EvalRequest(request.Model, source.Endpoint, request.Dataset, request.Version, request.Split,
                request.MaxTokens, request.CostBps), source, concurrency: 1,
            line => context.ReportProgressAsync(0.99 * ++done / Math.Max(1, total), line, ct).GetAwaiter().GetResult(), ct);
        var metrics = EvalStore.MetricValues(outcome.Summary);
        return new
        {
            evalId = outcome.Id, report = $"{outcome.ReportPrefix}/{EvalReport.Markdown}", answers = outcome.Summary.Answers,
            forecasts = outcome.Summary.Scored, reward = metrics["reward"], directionHitRate = metrics["direction_hit_rate"],
            components = outcome.Summary.Components,
        };
    }
}

/// <summary>Answers from a model loaded in this process: greedy, the prompt as the only user turn, reasoning in
/// &lt;think&gt; dropped (the answer is what is scored), as <see cref="ChatEndpoint"/> asks a server.</summary>
public sealed class LocalModelAnswers(LanguageModel model, string? adapter, int maxTokens, string endpoint) : IAnswerSource
{
    private readonly Generator _generator = new(model);
    private readonly SemaphoreSlim _one = new(1, 1);

    public string Endpoint => endpoint;

    public async Task<string> AnswerAsync(TrainingExample example, CancellationToken ct)
    {
        var prompt = model.Tokenizer.Encode(model.ChatTemplate.Render([new ChatMessage("user", example.Prompt)], addGenerationPrompt: true));
        await _one.WaitAsync(ct);
        try
        {
            var result = await Task.Run(() => _generator.GenerateBatch([new GenerationRequest(prompt, SamplingOptions.Greedy, maxTokens, Adapter: adapter)], ct), ct);
            return ThinkTags.AnswerOf(result[0].Text).Trim();
        }
        finally
        {
            _one.Release();
        }
    }
}

public static class EvalApi
{
    /// <summary><c>POST /api/eval/runs</c> queues an <c>eval</c> job (202), <c>GET /api/eval/runs/{id}</c> shows it.</summary>
    public static IEndpointRouteBuilder MapEvalApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/eval/runs").WithTags("Evaluation");
        group.MapPost("/", async (EvalJobRequest request, JobQueue queue, BlobStore blobs, CancellationToken ct) =>
        {
            if (request.Validate() is { } problem)
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid evaluation");
            var split = EvalRunner.SplitBlob(request.Dataset, request.Version, request.Split);
            if (!await blobs.ExistsAsync(BlobContainers.Datasets, split, ct))
                return Results.Problem($"No data set split at {BlobContainers.Datasets}/{split}: generate it with Synth first.",
                    statusCode: StatusCodes.Status400BadRequest, title: "Missing input");
            var id = await queue.EnqueueAsync(EvalJobRequest.JobKind, request, ct: ct);
            return await JobEndpoints.AcceptedAsync(queue, id, $"/api/eval/runs/{id}", ct);
        });
        group.MapJobStatus("/{id:long}", EvalJobRequest.JobKind, "evaluation job");
        return app;
    }
}
