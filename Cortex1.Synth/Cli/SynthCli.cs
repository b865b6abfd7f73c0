using System.CommandLine;
using System.Diagnostics;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Domain;
using Cortex1.Data.Jobs;
using Cortex1.Data.Market;
using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Teachers;

namespace Cortex1.Synth.Cli;

/// <summary>
/// <c>dotnet run --project Cortex1.Synth -- generate --dataset-size small --chains market --verify-all [--teacher offline|openrouter|URL]</c>.
/// Needs ConnectionStrings:cortexdb and ConnectionStrings:blobs (appsettings.json or
/// the environment) and market data in PostgreSQL. Interrupted (Ctrl+C, a kill), the same command resumes.
/// </summary>
public static class SynthCli
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken stop = default)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        var size = new Option<string>("--dataset-size") { Description = $"Kept examples wanted: {string.Join(", ", DatasetSizes.Names.Select(n => $"{n} ≈ {DatasetSizes.Target(n)}"))}.", DefaultValueFactory = _ => "small" };
        var chains = new Option<string[]>("--chains") { Description = "'market' (every chain with prices) or chain keys, comma separated.", DefaultValueFactory = _ => ["market"], AllowMultipleArgumentsPerToken = true };
        var verifyAll = new Option<bool>("--verify-all") { Description = "Score every example with the reward system (always on: nothing unscored enters a data set)." };
        var teacher = new Option<string?>("--teacher") { Description = "offline | openrouter | http(s) URL of an OpenAI-compatible endpoint. Default: openrouter when Teacher:ApiKey is set, else offline." };
        var name = new Option<string?>("--name") { Description = "Data set name (default cortex1-market-{size})." };
        var version = new Option<string?>("--version") { Description = "Data set version (default {teacher}-s{seed}); rerunning the same name and version resumes it." };
        var gate = new Option<double?>("--quality-gate") { Description = "Minimum reward total to keep an example (default Synth:QualityGate, 0.45)." };
        var seed = new Option<int>("--seed") { Description = "Seed for window sampling and bootstrap intervals.", DefaultValueFactory = _ => 42 };
        var profile = new Option<string>("--prompt-profile") { Description = "standard (30 days, every chain and column) | compact (8 days, one other chain, close/high/low/volume: the baby model's).", DefaultValueFactory = _ => PromptProfile.StandardName };
        var variants = new Option<int>("--history-variants") { Description = $"Add train windows from this many copies of the history moved by years, prices scaled and chains renamed (0–{HistoryVariant.Max}; the baby's pretraining corpus uses 4), so a small model learns to copy dates, levels and names from its prompt." };
        var generate = new Command("generate", "Generate a reward-gated, balanced, time-split reasoning data set into blob storage.")
        {
            size, chains, verifyAll, teacher, name, version, gate, seed, profile, variants,
        };
        generate.SetAction((parse, ct) => Execute(parse.GetValue(size)!, parse.GetValue(chains)!, parse.GetValue(teacher),
            parse.GetValue(name), parse.GetValue(version), parse.GetValue(gate), parse.GetValue(seed), parse.GetValue(profile)!, parse.GetValue(variants), stdout, stderr, ct));
        var root = new RootCommand("Cortex1 synthetic data generation.") { generate };
        return CommandLineHost.InvokeAsync(root, args, stdout, stderr, stop);
    }

    private static async Task<int> Execute(string size, string[] chains, string? teacher, string? name, string? version, double? gate, int seed,
        string profile, int variants, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var builder = CommandLineHost.CreateBuilder(typeof(SynthCli));
        var hasKey = !string.IsNullOrWhiteSpace(builder.Configuration[$"{TeacherOptions.Section}:ApiKey"]);
        var request = new SynthRunRequest(size.ToLowerInvariant(), teacher ?? (hasKey ? TeacherFactory.OpenRouter : TeacherFactory.Offline),
            [.. chains.SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(c => c.ToLowerInvariant())],
            name, version, gate, seed, profile.ToLowerInvariant(), variants);
        if (request.Validate() is { } problem)
        {
            await stderr.WriteLineAsync($"error: {problem}");
            return ExitCodes.BadInput;
        }

        return await CommandLineHost.RunAsync(builder, new DataCommand
        {
            Needs = [ConnectionNames.Database, ConnectionNames.Blobs],
            Register = b => b.Services.AddSynthCore(b.Configuration),
            Work = (services, ct) => Generate(request, services, stdout, ct),
            Interrupted = "Interrupted. Every example produced so far is stored; run the same command again to continue.",
            ExitCodeOf = e => e switch
            {
                MarketDataMissingException => ExitCodes.BadInput,
                PermanentJobException or ArgumentException or HttpRequestException => ExitCodes.Failed,
                _ => null,
            },
        }, stderr, ct);
    }

    private static async Task<int> Generate(SynthRunRequest request, IServiceProvider services, TextWriter stdout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        if ((await services.GetRequiredService<MarketStore>().GetChainsAsync(ct)).Count == 0) throw new MarketDataMissingException();
        var store = services.GetRequiredService<SynthStore>();
        var (run, created) = await store.CreateOrGetRunAsync(request, ct);
        if (!created && run.Status == "succeeded" && await store.GetManifestAsync(run.Dataset, run.Version, ct) is { } done)
        {
            await stdout.WriteLineAsync($"{run.Dataset}/{run.Version} was already generated (run {run.Id}); use another --version to make a new one.");
            await Print(done, stdout);
            return ExitCodes.Ok;
        }
        await stdout.WriteLineAsync($"{(created ? "Generating" : "Resuming")} {run.Dataset}/{run.Version} (run {run.Id}) with teacher '{request.Teacher}', size {request.Size} ≈ {DatasetSizes.Target(request.Size)} examples, prompt profile {request.ProfileName}.");
        var manifest = await services.GetRequiredService<SynthRunner>().RunAsync(run.Id,
            (p, _) => stdout.WriteLineAsync(p.ToString()), ct);
        await Print(manifest, stdout);
        await stdout.WriteLineAsync($"Done in {clock.Elapsed.TotalSeconds:0.0} s.");
        await stdout.WriteLineAsync($"Next, train on it: dotnet run -c Release --project Cortex1.Trainer -- train --dataset {manifest.Name} --version {manifest.Version} --name {manifest.Name}-grpo");
        return ExitCodes.Ok;
    }

    private static async Task Print(DatasetManifest m, TextWriter stdout)
    {
        await stdout.WriteLineAsync($"datasets/{m.Name}/{m.Version}: train {m.Train.Count} ({m.Train.FirstDay:yyyy-MM-dd}…{m.Train.LastDay:yyyy-MM-dd}), eval {m.Eval.Count} ({m.Eval.FirstDay:yyyy-MM-dd}…{m.Eval.LastDay:yyyy-MM-dd})");
        await stdout.WriteLineAsync($"teacher {m.Teacher}, gate {m.QualityGate}, generated {m.Generated}, rejected {m.Rejected}, duplicates {m.Duplicates}");
        await stdout.WriteLineAsync($"accepted rewards: mean {m.AcceptedRewards.Mean:0.000}, min {m.AcceptedRewards.Min:0.000}, max {m.AcceptedRewards.Max:0.000}");
        foreach (var (label, split) in new[] { ("train", m.Train), ("eval", m.Eval) })
        {
            await stdout.WriteLineAsync($"  {label} by kind:      {string.Join(", ", split.ByKind.Select(kv => $"{kv.Key} {kv.Value}"))}");
            await stdout.WriteLineAsync($"  {label} by condition: {string.Join(", ", split.ByCondition.Select(kv => $"{kv.Key} {kv.Value}"))}");
        }
    }
}
