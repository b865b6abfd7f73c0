using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;
using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Trainer.Runs;

namespace Cortex1.Trainer.Cli;

/// <summary>
/// <c>dotnet run -c Release --project Cortex1.Trainer -- train --config Cortex1.Trainer/configs/grpo/financial_reasoning.json --verbose</c>:
/// one training run in this process, with its progress on the console. The run is a
/// <c>train</c> job like one queued through the API (same steps table, checkpoints, published adapter), claimed by
/// this process; interrupted (Ctrl+C), the job is given back, and the same command resumes it from its last checkpoint.
/// </summary>
public static class TrainCli
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken stop = default)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        var config = new Option<string?>("--config") { Description = "A JSON training run (the body of POST /api/training/runs); the options below override its fields." };
        var name = new Option<string?>("--name") { Description = "Adapter name: published as adapters/{name}/ and served by Inference as the model {name}. Rerunning a name resumes or reports that run." };
        var dataset = new Option<string?>("--dataset") { Description = $"Data set name in blob storage ({BlobContainers.Datasets}/{DatasetPaths.Train("{dataset}", "{version}")})." };
        var version = new Option<string?>("--version") { Description = "Data set version." };
        var baseModel = new Option<string?>("--base-model") { Description = $"{BaseModelReference.Forms}." };
        var quantization = new Option<string?>("--quantization") { Description = "nf4 (QLoRA) or none." };
        var sft = new Option<int?>("--sft-steps") { Description = "Supervised warm-up steps on the teacher's answers." };
        var grpo = new Option<int?>("--grpo-steps") { Description = "GRPO steps." };
        var generations = new Option<int?>("--num-generations") { Description = "Completions sampled per prompt (GRPO's group size G)." };
        var completion = new Option<int?>("--max-completion-length") { Description = "Most tokens per sampled completion." };
        var learningRate = new Option<double?>("--learning-rate") { Description = "AdamW learning rate." };
        var beta = new Option<double?>("--beta") { Description = "Weight of the KL term against the base model." };
        var rank = new Option<int?>("--lora-rank") { Description = "LoRA rank." };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Steps between checkpoints." };
        var seed = new Option<int?>("--seed") { Description = "Seed for sampling." };
        var promptsPerStep = new Option<int?>("--prompts-per-step") { Description = "Prompts per optimiser step (each with its group of completions in GRPO)." };
        // GRPO's knobs, named as TRL's GRPOConfig fields (--loss-type = loss_type …).
        var temperature = new Option<double?>("--temperature") { Description = "Sampling temperature of GRPO's completions (the loss divides the logits by it too)." };
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling of GRPO's completions." };
        var epsilon = new Option<double?>("--epsilon") { Description = "Lower (and, without --epsilon-high, upper) clipping range of the importance ratio." };
        var epsilonHigh = new Option<double?>("--epsilon-high") { Description = "Upper clipping range (DAPO's clip-higher, e.g. 0.28)." };
        var lossType = new Option<string?>("--loss-type") { Description = "grpo | bnpo | dr_grpo | dapo." };
        var scaleRewards = new Option<string?>("--scale-rewards") { Description = "group | batch | none: what advantages are divided by." };
        var iterations = new Option<int?>("--num-iterations") { Description = "Optimiser updates per sampled batch (μ)." };
        var scheduler = new Option<string?>("--lr-scheduler") { Description = "linear | cosine | constant, after the warm-up." };
        var warmup = new Option<double?>("--warmup-ratio") { Description = "Share of each phase's updates spent warming the learning rate up from 0." };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "AdamW's decoupled weight decay (default 0)." };
        var accumulation = new Option<int?>("--gradient-accumulation-steps") { Description = "Micro-batches of --prompts-per-step prompts per update." };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Held-out evaluation every N steps of each phase (0 = before, after SFT and at the end only)." };
        var evalPrompts = new Option<int?>("--eval-prompts") { Description = "Prompts of the eval split answered greedily per evaluation." };
        var verbose = new Option<bool>("--verbose") { Description = "Log the services' information messages too (model load time and memory, adapter uploads)." };
        var train = new Command("train", "Fine-tune a LoRA adapter with SFT warm-up and GRPO on a Synth data set, and publish it to blob storage.")
        {
            config, name, dataset, version, baseModel, quantization, sft, grpo, generations, completion, learningRate, beta, rank, checkpointEvery, seed,
            promptsPerStep, temperature, topP, epsilon, epsilonHigh, lossType, scaleRewards, iterations, scheduler, warmup, weightDecay,
            accumulation, evalEvery, evalPrompts, verbose,
        };
        train.SetAction(async (parse, ct) =>
        {
            TrainingRunRequest request;
            try
            {
                request = await ReadConfigAsync(parse.GetValue(config), ct);
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
            request = request with
            {
                Name = parse.GetValue(name) ?? request.Name,
                Dataset = parse.GetValue(dataset) ?? request.Dataset,
                Version = parse.GetValue(version) ?? request.Version,
                BaseModel = BaseModelOf(parse.GetValue(baseModel) ?? request.BaseModel),
                Quantization = parse.GetValue(quantization) ?? request.Quantization,
                SftSteps = parse.GetValue(sft) ?? request.SftSteps,
                GrpoSteps = parse.GetValue(grpo) ?? request.GrpoSteps,
                NumGenerations = parse.GetValue(generations) ?? request.NumGenerations,
                MaxCompletionLength = parse.GetValue(completion) ?? request.MaxCompletionLength,
                LearningRate = parse.GetValue(learningRate) ?? request.LearningRate,
                Beta = parse.GetValue(beta) ?? request.Beta,
                LoraRank = parse.GetValue(rank) ?? request.LoraRank,
                CheckpointEvery = parse.GetValue(checkpointEvery) ?? request.CheckpointEvery,
                Seed = parse.GetValue(seed) ?? request.Seed,
                PromptsPerStep = parse.GetValue(promptsPerStep) ?? request.PromptsPerStep,
                Temperature = parse.GetValue(temperature) ?? request.Temperature,
                TopP = parse.GetValue(topP) ?? request.TopP,
                Epsilon = parse.GetValue(epsilon) ?? request.Epsilon,
                EpsilonHigh = parse.GetValue(epsilonHigh) ?? request.EpsilonHigh,
                LossType = parse.GetValue(lossType) ?? request.LossType,
                ScaleRewards = parse.GetValue(scaleRewards) ?? request.ScaleRewards,
                NumIterations = parse.GetValue(iterations) ?? request.NumIterations,
                LrScheduler = parse.GetValue(scheduler) ?? request.LrScheduler,
                WarmupRatio = parse.GetValue(warmup) ?? request.WarmupRatio,
                WeightDecay = parse.GetValue(weightDecay) ?? request.WeightDecay,
                GradientAccumulationSteps = parse.GetValue(accumulation) ?? request.GradientAccumulationSteps,
                EvalEvery = parse.GetValue(evalEvery) ?? request.EvalEvery,
                EvalPrompts = parse.GetValue(evalPrompts) ?? request.EvalPrompts,
            };
            // Ctrl+C and SIGTERM cancel this token, and the command gives the job back before it exits.
            return await Execute(request, parse.GetValue(verbose), stdout, stderr, ct);
        });
        var root = new RootCommand("Cortex1 training.") { train };
        return CommandLineHost.InvokeAsync(root, args, stdout, stderr, stop);
    }

    /// <summary>The API's JSON, but a field it does not know (<c>num_generations</c> in snake_case, a typo) is an error, not silently a default.</summary>
    private static readonly JsonSerializerOptions StrictJson = new(JsonSerializerOptions.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private static async Task<TrainingRunRequest> ReadConfigAsync(string? path, CancellationToken ct)
    {
        if (path is null) return new TrainingRunRequest("", "", "");
        var file = CommandLineHost.ResolveUserPath(path);
        if (!File.Exists(file))
            throw new FileNotFoundException($"No training config at '{path}'" + (Path.IsPathRooted(path) ? "." : $" (looked for '{file}')."));
        await using var stream = File.OpenRead(file);
        try
        {
            return await JsonSerializer.DeserializeAsync<TrainingRunRequest>(stream, StrictJson, ct)
                ?? throw new JsonException("it is null");
        }
        catch (JsonException e)
        {
            throw new JsonException($"'{file}' is not a training run: {e.Message}", e);
        }
    }

    /// <summary>
    /// A local base-model folder given relative to where the command was typed becomes absolute: the job may be
    /// resumed by the Trainer service, whose working directory is another.
    /// </summary>
    private static string BaseModelOf(string baseModel) =>
        !string.IsNullOrWhiteSpace(baseModel) && BaseModelReference.Parse(baseModel).Folder is { } folder
            ? CommandLineHost.ResolveUserPath(folder) : baseModel;

    private static async Task<int> Execute(TrainingRunRequest request, bool verbose, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (request.Validate() is { } problem)
        {
            await stderr.WriteLineAsync($"error: {problem} (give it in --config or as an option; see --help).");
            return ExitCodes.BadInput;
        }
        var builder = CommandLineHost.CreateBuilder(typeof(TrainCli));
        if (verbose) builder.Logging.SetMinimumLevel(LogLevel.Information);
        return await CommandLineHost.RunAsync(builder, new DataCommand
        {
            Needs = [ConnectionNames.Database, ConnectionNames.Blobs],
            Register = b => b.AddTrainer(),
            Work = (services, ct) => Train(request, services, stdout, stderr, ct),
            Interrupted = "Interrupted before training started.",
        }, stderr, ct);
    }

    private static async Task<int> Train(TrainingRunRequest request, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var queue = services.GetRequiredService<JobQueue>();
        var worker = $"cli:{Environment.MachineName}:{Environment.ProcessId}";
        // A name already used is the same run: report it if it is done, resume it if it is not.
        var store = services.GetRequiredService<TrainingStore>();
        Job claimed;
        if (await store.JobOfAsync(request.Name, ct) is not { } id)
        {
            // Check what the run reads before creating it: a typo would otherwise fail the job and spend its name.
            if (await TrainingInputs.ProblemAsync(request, services.GetRequiredService<BlobStore>(), ct) is { } missingInput)
            {
                await stderr.WriteLineAsync($"error: {missingInput}");
                return ExitCodes.BadInput;
            }
            claimed = await queue.EnqueueClaimedAsync(TrainingRunRequest.JobKind, request, worker, ct: ct);
            id = claimed.Id;
            await store.EnsureRunAsync(id, request, CancellationToken.None);   // the name is taken from now on: a rerun resumes this job
            await stdout.WriteLineAsync($"Training '{request.Name}' (job {id}) on {request.BaseModel} ({request.Quantization}) with " +
                $"{request.Dataset}/{request.Version}: {request.SftSteps} SFT + {request.GrpoSteps} GRPO steps.");
        }
        else
        {
            var job = await queue.GetAsync(id, ct) ?? throw new InvalidOperationException($"Job {id} vanished.");
            if (job.Status == JobStatus.Succeeded)
            {
                await stdout.WriteLineAsync($"'{request.Name}' was trained already (job {id}): {job.Result?.RootElement}. Pick another --name to train again.");
                await stdout.WriteLineAsync(TrainingSummary.KeyValueLine(id, 0, job.Result?.RootElement));   // scripts read the same last line
                return ExitCodes.Ok;
            }
            if (await queue.ClaimAsync(id, worker, TrainingRunRequest.JobKind, ct: ct) is not { } resumed)
            {
                // Not claimable: finished badly, or leased to a live worker (re-read: the claim may have just failed it).
                job = await queue.GetAsync(id, ct) ?? job;
                await stderr.WriteLineAsync(job.Status is JobStatus.Failed or JobStatus.Canceled
                    ? $"error: run '{request.Name}' (job {id}) {job.Status}: {job.Error} Pick another --name to train again."
                    : $"error: run '{request.Name}' (job {id}) is being trained by {job.LockedBy ?? "another worker"}: {job.ProgressMessage}. " +
                      $"Follow it at /api/training/runs/{id} on the Trainer service.");
                return ExitCodes.Failed;
            }
            claimed = resumed;
            // A run keeps the settings it started with: its recorded steps and checkpoints were made with them.
            var stored = claimed.PayloadAs<TrainingRunRequest>();
            if (stored != request)
                await stderr.WriteLineAsync($"note: '{request.Name}' resumes with the settings it started with; the options given now are ignored.");
            request = stored;
            await stdout.WriteLineAsync($"Resuming '{request.Name}' (job {id}) on {request.BaseModel} ({request.Quantization}) with " +
                $"{request.Dataset}/{request.Version}: {request.SftSteps} SFT + {request.GrpoSteps} GRPO steps.");
        }

        var clock = Stopwatch.StartNew();
        var handler = services.GetServices<IJobHandler>().OfType<TrainingRunHandler>().Single();
        var runner = new JobRunner(queue, services.GetRequiredService<ILogger<TrainingRunHandler>>());
        var run = await runner.RunAsync(claimed, handler, worker,
            (progress, message) => stdout.WriteLine($"[{progress,4:P0}] {clock.Elapsed:hh\\:mm\\:ss} {message}"), ct);
        switch (run.Outcome)
        {
            case JobOutcome.Succeeded:
                var result = (await queue.GetAsync(claimed.Id, CancellationToken.None))?.Result?.RootElement;
                await stdout.WriteLineAsync($"Done in {clock.Elapsed.TotalSeconds:0.0} s: {result}");
                await stdout.WriteLineAsync($"Inference serves it as the model '{request.Name}' once it scans storage, or at once after " +
                    $"POST /v1/load_lora_adapter {{\"lora_name\":\"{request.Name}\"}}.");
                await stdout.WriteLineAsync(TrainingSummary.KeyValueLine(claimed.Id, clock.Elapsed.TotalSeconds, result));
                return ExitCodes.Ok;
            case JobOutcome.Released:
                await stderr.WriteLineAsync("Interrupted. Recorded steps and checkpoints are kept; run the same command again to resume from the last checkpoint.");
                return ExitCodes.Interrupted;
            case JobOutcome.LeaseLost:
                await stderr.WriteLineAsync($"error: another worker took job {claimed.Id} over; follow it at /api/training/runs/{claimed.Id} on the Trainer service.");
                return ExitCodes.Failed;
            default:
                var retry = run.Error is not PermanentJobException && claimed.Attempts < claimed.MaxAttempts;
                await stderr.WriteLineAsync($"error: {run.Error?.Message}{(retry ? " Run the same command again to retry it." : "")}");
                return ExitCodes.Failed;
        }
    }
}
