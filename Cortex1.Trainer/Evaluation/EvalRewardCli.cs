using Cortex1.ServiceDefaults.CommandLine;
using System.CommandLine;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Storage;
using Cortex1.Domain;
using Cortex1.Model;
using Cortex1.Model.Baby;
using Cortex1.Trainer.Runs;
using Cortex1.Model.Loading;
using Cortex1.Rewards;
using Cortex1.Trainer.Pretrain;

namespace Cortex1.Trainer.Evaluation;

/// <summary>
/// <c>dotnet run -c Release --project Cortex1.Trainer -- eval-reward --model cortex1-baby [--adapter folder] [--limit N]</c>:
/// the held-out reward (<see cref="HeldOutReward"/>) of a model on a data set's eval split, from blob storage
/// (<c>--dataset/--version</c>) or a local <c>--input eval.jsonl</c>; last line key=value.
/// </summary>
public static class EvalRewardCli
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        var model = new Option<string>("--model") { Description = $"{BabyModel.Name} (embedded), tiny, or a local HF folder.", DefaultValueFactory = _ => BabyModel.Name };
        var adapter = new Option<string?>("--adapter") { Description = "A local PEFT adapter folder to evaluate on top of the model." };
        var dataset = new Option<string>("--dataset") { Description = "Data set whose eval.jsonl is scored.", DefaultValueFactory = _ => "cortex1-market-small" };
        var version = new Option<string>("--version") { Description = "Data set version.", DefaultValueFactory = _ => "offline-s42" };
        var input = new Option<string?>("--input") { Description = "A local eval.jsonl instead of the data set in blob storage." };
        var limit = new Option<int?>("--limit") { Description = "Score only the first N eval examples." };
        var randomWeights = new Option<bool>("--random-weights") { Description = "Score the model's shape and tokenizer with freshly initialised weights (the stage before pretraining; a llama with tied embeddings, as the baby)." };
        var answersFile = new Option<string?>("--answers") { Description = "Write each answer with its reward and the truth gate's count to this JSONL file." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per greedy answer.", DefaultValueFactory = _ => 1024 };
        var command = new Command("eval-reward", "The held-out reward: greedy answers to the eval split, scored by Cortex1's reward system.")
        {
            model, adapter, dataset, version, input, limit, maxTokens, randomWeights, answersFile,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await Evaluate(parse, ct);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or System.Text.Json.JsonException or ArgumentException
                                           or InvalidDataException)
            {
                // A missing file or folder, a line that is not an example, a model that is not one: bad input, nothing ran.
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        async Task<int> Evaluate(ParseResult parse, CancellationToken ct)
        {
            IReadOnlyList<TrainingExample> eval;
            if (parse.GetValue(input) is { } file)
                eval = [.. (await File.ReadAllLinesAsync(CommandLineHost.ResolveUserPath(file), ct)).Where(l => l.Length > 0).Select(DatasetJson.FromLine)];
            else
            {
                var builder = CommandLineHost.CreateBuilder(typeof(EvalRewardCli));
                if (CommandLineHost.MissingConnection(builder.Configuration, ConnectionNames.Blobs) is { } missing)
                {
                    await stderr.WriteLineAsync($"error: {missing}");
                    return ExitCodes.BadInput;
                }
                var blobs = new BlobStore(new Azure.Storage.Blobs.BlobServiceClient(builder.Configuration.GetConnectionString(ConnectionNames.Blobs)));
                eval = await PretrainRunner.ReadAsync(blobs, parse.GetValue(dataset)!, parse.GetValue(version)!, "eval.jsonl", ct);
            }
            if (parse.GetValue(limit) is { } n) eval = [.. eval.Take(n)];
            var reference = BaseModelReference.Parse(parse.GetValue(model)!);
            var folder = EmbeddedModels.FolderOf(reference, new TrainerOptions().CacheFolder)
                ?? CommandLineHost.ResolveUserPath(parse.GetValue(model)!);
            if (parse.GetValue(randomWeights)) folder = RandomCopy(folder);
            using var lm = LanguageModel.Load(folder, new LoadOptions(Quantization.None));
            string? name = null;
            if (parse.GetValue(adapter) is { } a)
            {
                lm.LoadAdapter(name = "eval", CommandLineHost.ResolveUserPath(a));
            }
            var result = HeldOutReward.Evaluate(lm, eval, new RewardSystem(), parse.GetValue(maxTokens), name, ct: ct);
            if (parse.GetValue(answersFile) is { } path)
                await WriteAnswersAsync(CommandLineHost.ResolveUserPath(path), result, ct);
            foreach (var (component, value) in result.Components.OrderBy(c => c.Key, StringComparer.Ordinal))
                stdout.WriteLine($"  {component,-22} {value}");
            stdout.WriteLine($"held-out reward {result.Total} in {result.Seconds:F0} s; {result.TruncatedFraction:P0} of answers hit --max-tokens");
            stdout.WriteLine(FormattableString.Invariant(
                $"eval_reward={result.Total.Mean:F4} eval_reward_se={result.Total.StandardError:F4} n={result.Total.Count} completion_tokens_mean={result.MeanCompletionTokens:F0} truncated={result.TruncatedFraction:F2} seconds={result.Seconds:F0}"));
            return ExitCodes.Ok;
        }
        return CommandLineHost.InvokeAsync(new RootCommand("Cortex1 held-out evaluation.") { command }, args, stdout, stderr);
    }

    /// <summary>One line per answer: what the model wrote, its reward and why the truth gate let it through or cut it.</summary>
    static Task WriteAnswersAsync(string path, HeldOutResult result, CancellationToken ct) =>
        File.WriteAllLinesAsync(path, result.Answers.Select(a => System.Text.Json.JsonSerializer.Serialize(new
        {
            id = a.ExampleId, reward = a.Reward, truth = a.Truth, truthExplanation = a.TruthExplanation,
            finishReason = a.FinishReason, tokens = a.Tokens, answer = a.Answer,
        })), ct);

    /// <summary>The model's config and tokenizer with the initial weights pretraining starts from (seeded), in a temp folder.</summary>
    static string RandomCopy(string folder)
    {
        var config = Model.Config.ModelConfig.Load(folder);
        var tokenizer = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer.json")))!.AsObject();
        var target = Path.Combine(Path.GetTempPath(), "cortex1", "random-weights", Guid.NewGuid().ToString("N"));
        using var random = new BabyLlama(config, seed: new PretrainOptions().Seed);
        var weights = random.Export();
        try
        {
            BabyModel.Write(target, config, tokenizer, weights);
        }
        finally
        {
            foreach (var (_, t) in weights) t.Dispose();
        }
        return target;
    }
}
