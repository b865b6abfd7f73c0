using System.Text.Json;
using System.Text.Json.Nodes;
using Cortex1.Data.Jobs;
using Cortex1.Data.Market;
using Cortex1.Data.Storage;
using Cortex1.Model.Lora;
using Cortex1.Trainer.Evaluation;
using Cortex1.Trainer.Runs;
using Microsoft.Extensions.Options;

namespace Cortex1.Trainer.Pipeline;

/// <summary>
/// One step of the flow: the service whose job makes its output, how to find that output (null while it does not
/// exist: a stage whose output exists is not run again), and the job to queue (kind and payload, the owning service's
/// contract); no job for a stage that only waits (Inference picking the adapter up).
/// </summary>
/// <param name="ExistingJob">A job of the service's own that already makes this output (a training run of the same name
/// queued from the dashboard), waited on instead of queueing another.</param>
public sealed record PipelineStage(string Name, string Service, Func<CancellationToken, Task<object?>> FindOutput,
    Func<CancellationToken, Task<(string Kind, object Payload)>>? Job, Func<CancellationToken, Task<long?>>? ExistingJob = null);

/// <summary>
/// The stages of the selected profile: market data (Ingest) → data set (Synth) → adapter (Trainer, SFT → GRPO) →
/// evaluation report (Trainer) → the adapter served (Inference). Each stage names its output in PostgreSQL or blob
/// storage; the job kinds and payloads are the ones each service's own API queues.
/// </summary>
public sealed class PipelinePlan(
    IOptions<PipelineOptions> options, MarketStore market, BlobStore blobs, TrainingStore training, EvalStore evals, JobQueue queue)
{
    public const string Market = "market", Dataset = "dataset", Train = "train", Eval = "eval", Serve = "serve";

    /// <summary>Job kinds of other services, as their handlers name them (services share no code but these strings).</summary>
    public const string IngestJobKind = "ingest", SynthJobKind = "synth.generate";

    private const string EmbeddedSource = "embedded", FlipsideSource = "flipside";

    private PipelineOptions Options => options.Value;

    public TrainingRunRequest TrainingRun() => TrainingRun(Options.Selected(), DatasetName(), DatasetVersion());

    public string DatasetName() => Options.Selected().Dataset ?? $"cortex1-market-{Options.Selected().DatasetSize}";

    /// <summary>The profile's version, else Synth's own default for the teacher and prompt profile (<c>offline-s42</c>,
    /// <c>openrouter-compact-s42</c>): a data set made by R1 is never named, or reused, as the offline analyst's.</summary>
    public string DatasetVersion()
    {
        var profile = Options.Selected();
        if (profile.Version is { } version) return version;
        return profile.Synth.TryGetValue("profile", out var prompts) && !string.IsNullOrEmpty(prompts) && prompts != "standard"
            ? $"{Options.Teacher}-{prompts}-s42"
            : $"{Options.Teacher}-s42";
    }

    public IReadOnlyList<PipelineStage> Stages()
    {
        var profile = Options.Selected();
        var (dataset, version) = (DatasetName(), DatasetVersion());
        var run = TrainingRun(profile, dataset, version);
        var flipside = Options.Market == FlipsideSource;
        return
        [
            new(Market, "ingest",
                async ct => await market.HasSourceAsync(flipside ? FlipsideSource : EmbeddedSource, ct)
                    ? new { chains = (await market.GetChainsAsync(ct)).Select(c => new { c.Chain, c.FirstDay, c.LastDay, c.Days }).ToList() }
                    : null,
                _ => Task.FromResult<(string, object)>((IngestJobKind, flipside
                    ? new { mode = "fetch", days = profile.FetchDays }
                    : new { mode = "load-embedded" }))),
            new(Dataset, "synth",
                async ct => await ReadJsonAsync(BlobContainers.Datasets, DatasetPaths.File(dataset, version, DatasetPaths.ManifestFile), ct) is { } manifest
                    ? new { dataset, version, train = manifest["train"]?["count"]?.GetValue<int>(), eval = manifest["eval"]?["count"]?.GetValue<int>() }
                    : null,
                _ => Task.FromResult<(string, object)>((SynthJobKind, new { request = SynthRequest(profile, dataset, version) }))),
            new(Train, "trainer",
                async ct => await blobs.ExistsAsync(BlobContainers.Adapters, $"{run.Name}/{PeftFormat.ConfigFile}", ct)
                    ? await TrainingOutputAsync(run.Name, ct)
                    : null,
                async ct =>
                {
                    // The run checks its inputs itself; a base model in blob storage that is not there yet is said here
                    // once, in words, rather than as three failed attempts.
                    var reference = BaseModelReference.Parse(run.BaseModel);
                    if (reference.BlobPrefix is { } prefix && !await blobs.ExistsAsync(BlobContainers.Models, $"{prefix}/{BaseModelReference.ConfigFile}", ct))
                        throw new PipelineStageException(
                            $"No base model at {BlobContainers.Models}/{prefix}/: pull it once with `dotnet run -c Release --project Cortex1.Trainer -- models pull {prefix}`, then start the pipeline again.");
                    return (TrainingRunRequest.JobKind, run);
                },
                ct => training.JobOfAsync(run.Name, ct)),
            new(Eval, "trainer",
                async ct => await evals.FindAsync(run.Name, ct) is { } row
                    ? new { evalId = row.Id, report = $"{row.ReportPrefix}/{EvalReport.Markdown}", reward = row.Metrics["reward"], answers = row.Answers }
                    : null,
                _ => Task.FromResult<(string, object)>((EvalJobRequest.JobKind,
                    new EvalJobRequest(run.Name, dataset, version, run.BaseModel, run.Quantization, MaxTokens: profile.EvalMaxTokens)))),
            new(Serve, "inference", async ct => await ServedByAsync(run.Name, ct), Job: null),
        ];
    }

    /// <summary>The profile's recipe with its <c>Train</c> fields on top, named for the pipeline's data set.</summary>
    public static TrainingRunRequest TrainingRun(PipelineProfile profile, string dataset, string version)
    {
        var body = profile.Recipe is { Length: > 0 } recipe
            ? JsonNode.Parse(File.ReadAllText(RecipePath(recipe)))?.AsObject() ?? throw new InvalidDataException($"{recipe} is empty.")
            : new JsonObject();
        foreach (var (key, value) in profile.Train) Set(body, key, Typed(value));
        Set(body, "name", profile.Adapter);
        Set(body, "dataset", dataset);
        Set(body, "version", version);
        var run = body.Deserialize<TrainingRunRequest>(JsonSerializerOptions.Web) ?? throw new InvalidDataException("The training run is empty.");
        return run.Validate() is { } problem ? throw new InvalidDataException($"The profile's training run is invalid: {problem}.") : run;
    }

    /// <summary>Synth's run request (<c>POST /api/synth/runs</c>'s body): the profile's fields, then the pipeline's.</summary>
    public JsonObject SynthRequest(PipelineProfile profile, string dataset, string version)
    {
        var body = new JsonObject();
        foreach (var (key, value) in profile.Synth) Set(body, key, Typed(value));
        Set(body, "size", profile.DatasetSize);
        Set(body, "teacher", Options.Teacher);
        Set(body, "name", dataset);
        Set(body, "version", version);
        return body;
    }

    public static string RecipePath(string recipe) =>
        Path.IsPathRooted(recipe) ? recipe : Path.Combine(AppContext.BaseDirectory, recipe);

    private static void Set(JsonObject body, string key, JsonNode? value)
    {
        foreach (var same in body.Select(p => p.Key).Where(k => k.Equals(key, StringComparison.OrdinalIgnoreCase)).ToList()) body.Remove(same);
        body[key] = value;
    }

    /// <summary>A configuration value (always text) as the JSON type it reads as: a number, true/false, else a string.</summary>
    private static JsonNode? Typed(string value) =>
        long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l)
        : double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d)
        : bool.TryParse(value, out var b) ? JsonValue.Create(b)
        : JsonValue.Create(value);

    private async Task<object?> TrainingOutputAsync(string name, CancellationToken ct)
    {
        var job = await training.JobOfAsync(name, ct) is { } id ? await queue.GetAsync(id, ct) : null;
        var result = job?.Result?.RootElement;
        double? Get(string key) => result is { } r && r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        return new
        {
            adapter = $"{BlobContainers.Adapters}/{name}", trainingJob = job?.Id,
            evalRewardBefore = Get("evalRewardBefore"), evalRewardAfterSft = Get("evalRewardAfterSft"), evalRewardAfter = Get("evalRewardAfter"),
            report = result is { } rr && rr.TryGetProperty("report", out var rep) && rep.ValueKind == JsonValueKind.String ? rep.GetString() : null,
        };
    }

    /// <summary>
    /// Which Inference instance serves <paramref name="adapter"/>, from the status each one writes when what it serves
    /// changes. A status older than the adapter's files does not count: it is an earlier process (or the same one before
    /// the retrain) that served an adapter of that name, not this one.
    /// </summary>
    private async Task<object?> ServedByAsync(string adapter, CancellationToken ct)
    {
        if (await blobs.LastModifiedAsync(BlobContainers.Adapters, $"{adapter}/{PeftFormat.ConfigFile}", ct) is not { } published) return null;
        await foreach (var blob in blobs.ListAsync(BlobContainers.Adapters, ServingFolder + "/", ct))
        {
            if (await ReadJsonAsync(BlobContainers.Adapters, blob.Name, ct) is not { } status) continue;
            if (!(status["at"] is JsonValue at && at.TryGetValue<DateTimeOffset>(out var written) && written >= published)) continue;
            if (status["adapters"]?.AsArray().Any(a => a?.GetValue<string>() == adapter) == true)
                return new { model = adapter, baseModel = status["model"]?.GetValue<string>(), instance = Path.GetFileNameWithoutExtension(blob.Name) };
        }
        return null;
    }

    /// <summary>Where Inference writes what it serves (its <c>ServingStatus</c>).</summary>
    public const string ServingFolder = ".serving";

    private async Task<JsonNode?> ReadJsonAsync(string container, string name, CancellationToken ct)
    {
        try
        {
            return JsonNode.Parse(await blobs.DownloadTextAsync(container, name, ct));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}

/// <summary>A stage cannot start, for a reason the user can fix (said in the message).</summary>
public sealed class PipelineStageException(string message) : Exception(message);
