using Cortex1.ServiceDefaults.CommandLine;
using System.CommandLine;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Storage;
using Cortex1.Domain;
using Cortex1.Model.Baby;
using Cortex1.Trainer.Runs;

namespace Cortex1.Trainer.Pretrain;

/// <summary>
/// <c>dotnet run -c Release --project Cortex1.Trainer -- pretrain [--steps N] …</c>: pretrains the baby model in this
/// process on the corpus in blob storage (<c>datasets/cortex1-corpus/offline-compact-s42/train.jsonl</c>, from Synth's
/// <c>generate --dataset-size corpus</c>) and publishes it to <c>models/cortex1-baby/</c>, with loss and tokens/s on the
/// console and a last line of key=value pairs. <c>--input file.jsonl --output folder</c> runs on local files, no storage.
/// </summary>
public static class PretrainCli
{
    public static Task<int> RunAsync(string[] args) => RunAsync(args, null, null);

    public static Task<int> RunAsync(string[] args, TextWriter? output, TextWriter? error, CancellationToken stop = default)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        var defaults = new PretrainRequest();
        var shape = new PretrainOptions().Shape;
        var options = new PretrainOptions();
        var name = new Option<string>("--name") { Description = "Published as models/{name}/.", DefaultValueFactory = _ => defaults.Name };
        var dataset = new Option<string>("--dataset") { Description = "Corpus data set (its train.jsonl only).", DefaultValueFactory = _ => defaults.Dataset };
        var version = new Option<string>("--version") { Description = "Corpus version.", DefaultValueFactory = _ => defaults.Version };
        var steps = new Option<int?>("--steps") { Description = $"Optimiser steps (default {options.Steps})." };
        var batch = new Option<int?>("--batch-size") { Description = $"Windows per step (default {options.BatchSize})." };
        var seq = new Option<int?>("--sequence-length") { Description = $"Tokens per window (default {options.SequenceLength})." };
        var lr = new Option<double?>("--learning-rate") { Description = $"Peak AdamW learning rate (default {options.LearningRate})." };
        var hidden = new Option<int?>("--hidden") { Description = $"Hidden size (default {shape.Hidden}; the MLP is 3×)." };
        var layers = new Option<int?>("--layers") { Description = $"Decoder layers (default {shape.Layers})." };
        var heads = new Option<int?>("--heads") { Description = $"Attention heads (default {shape.Heads})." };
        var vocab = new Option<int?>("--vocab") { Description = $"Tokenizer entries (default {shape.VocabSize})." };
        var seed = new Option<int>("--seed") { Description = "Seed for the weights, the tokenizer sample and the windows.", DefaultValueFactory = _ => defaults.Seed };
        var maxSeconds = new Option<double?>("--max-seconds") { Description = $"Wall-clock budget of the training loop: it stops when spent, the cosine ends there (default {options.MaxSeconds:0} s; 0 = none, --steps alone)." };
        var input = new Option<string?>("--input") { Description = "A local train.jsonl instead of the data set in blob storage (needs --output)." };
        var outFolder = new Option<string?>("--output") { Description = "The local folder to write the model to (kept; needed with --input, which publishes nothing)." };
        var answerOnly = new Option<bool>("--answer-only-loss") { Description = "Predict the reports' tokens only, the prompt read as context (default: the whole chat)." };
        var init = new Option<string?>("--init") { Description = $"Continue from a baby model (a folder, or {BabyModel.Name} for the embedded one): its tokenizer, shape and weights (default: random weights, a new tokenizer)." };
        var command = new Command("pretrain", "Pretrain the baby model (from random weights, or continuing one with --init) on the offline analyst's corpus and publish it as a Hugging Face folder.")
        {
            name, dataset, version, steps, batch, seq, lr, hidden, layers, heads, vocab, seed, maxSeconds, input, outFolder, answerOnly, init,
        };
        command.SetAction(async (parse, ct) =>
        {
            var request = new PretrainRequest(parse.GetValue(name)!, parse.GetValue(dataset)!, parse.GetValue(version)!, parse.GetValue(steps),
                parse.GetValue(batch), parse.GetValue(seq), parse.GetValue(lr), parse.GetValue(hidden), parse.GetValue(layers), parse.GetValue(heads),
                parse.GetValue(vocab), parse.GetValue(seed), parse.GetValue(maxSeconds), parse.GetValue(answerOnly) ? true : null,
                parse.GetValue(init) is { } from
                    ? EmbeddedModels.FolderOf(BaseModelReference.Parse(from), new TrainerOptions().CacheFolder) ?? CommandLineHost.ResolveUserPath(from)
                    : null);
            if (request.Validate() is { } problem)
            {
                await stderr.WriteLineAsync($"error: {problem}.");
                return ExitCodes.BadInput;
            }
            try
            {
                var result = parse.GetValue(input) is { } file
                    ? await LocalAsync(request, CommandLineHost.ResolveUserPath(file), parse.GetValue(outFolder), stdout, stderr, ct)
                    : await StorageAsync(request, parse.GetValue(outFolder), stdout, stderr, ct);
                if (result is null) return ExitCodes.BadInput;
                var serve = parse.GetValue(input) is null ? $"--Inference:ModelBlob {request.Name}" : $"--Inference:Model {result.Folder}";
                await stdout.WriteLineAsync($"Next: chat with it (`dotnet run --project Cortex1.Inference -- {serve}`) or train on it (`train --base-model {result.Folder}`).");
                await stdout.WriteLineAsync($"{result.KeyValues()} model={result.Folder}");
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException)
            {
                await stderr.WriteLineAsync("pretraining interrupted; nothing was published.");
                return ExitCodes.Interrupted;
            }
            catch (FileNotFoundException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        var root = new RootCommand("Cortex1 pretraining.") { command };
        return CommandLineHost.InvokeAsync(root, args, stdout, stderr, stop);
    }

    static async Task<PretrainResult?> LocalAsync(PretrainRequest request, string file, string? folder, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (folder is null)
        {
            await stderr.WriteLineAsync("error: --input needs --output (the folder to write the model to).");
            return null;
        }
        var train = (await File.ReadAllLinesAsync(file, ct)).Where(l => l.Length > 0).Select(DatasetJson.FromLine).ToList();
        folder = Path.GetFullPath(folder);
        return await Task.Run(() => Pretrainer.Run(train, request.Options(), folder, stdout.WriteLine, null, ct), ct);
    }

    static async Task<PretrainResult?> StorageAsync(PretrainRequest request, string? keep, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var builder = CommandLineHost.CreateBuilder(typeof(PretrainCli));
        if (CommandLineHost.MissingConnection(builder.Configuration, ConnectionNames.Blobs) is { } missing)
        {
            await stderr.WriteLineAsync($"error: {missing}");
            return null;
        }
        var blobs = new BlobStore(new Azure.Storage.Blobs.BlobServiceClient(builder.Configuration.GetConnectionString(ConnectionNames.Blobs)));
        await blobs.EnsureContainersAsync(ct);
        var work = Path.Combine(Path.GetTempPath(), "cortex1", "pretrain");
        return await PretrainRunner.RunAsync(request, blobs, work, stdout.WriteLine, null, ct, keep is null ? null : Path.GetFullPath(keep));
    }
}
