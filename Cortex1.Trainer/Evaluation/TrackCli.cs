using System.CommandLine;
using System.Globalization;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Tracking;
using Cortex1.Evaluation;
using Cortex1.ServiceDefaults.CommandLine;

namespace Cortex1.Trainer.Evaluation;

/// <summary>
/// Live prediction tracking (see <see cref="TrackRunner"/>):
/// <c>track --model M [--endpoint URL] --dataset D --version V [--split eval]</c> stores the model's forecasts on each
/// chain's latest window; <c>track from-eval RUN</c> stores those of a stored evaluation's answers; <c>track score</c>
/// scores the forecasts now due (Ingest also does after every upsert); <c>track show [--model M]</c> prints the track
/// record (with a model, each forecast too). Each prints a key=value line last.
/// </summary>
public static class TrackCli
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken stop = default,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        var model = new Option<string>("--model") { Description = "The served model or adapter to ask ('teacher': the split's own answers).", Required = true };
        var endpoint = new Option<string?>("--endpoint") { Description = $"Base URL of an OpenAI-compatible server (…/v1). Default: Eval:Endpoint, else {EvalCli.DefaultEndpoint}." };
        var dataset = new Option<string>("--dataset") { Description = "Data set whose split holds the prompts (its newest window per chain is asked).", Required = true };
        var version = new Option<string>("--version") { Description = "Data set version.", Required = true };
        var split = new Option<string>("--split") { Description = "eval (held-out time, the newest windows) or train.", DefaultValueFactory = _ => "eval" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per answer.", DefaultValueFactory = _ => 2048 };
        var track = new Command("track", "Store a model's forecasts on each chain's latest window; they are scored once their day's close is ingested.")
        {
            model, endpoint, dataset, version, split, maxTokens,
        };
        var run = new Argument<string>("run") { Description = "An evaluation's id, or a model name (its latest evaluation)." };
        var fromEval = new Command("from-eval", "Track the forecasts of a stored evaluation's answers on each chain's latest window.") { run };
        var score = new Command("score", "Score the tracked forecasts whose due day's close is stored.");
        var showModel = new Option<string?>("--model") { Description = "Only this model, with each of its forecasts." };
        var show = new Command("show", "Print the track record: per model, forecasts made, scored and pending, hit rate, MAPE, coverage.") { showModel };
        track.Subcommands.Add(fromEval);
        track.Subcommands.Add(score);
        track.Subcommands.Add(show);
        const string Interrupted = "Interrupted; the windows answered so far are stored.";

        track.SetAction(async (parse, ct) =>
        {
            var split_ = parse.GetValue(split)!;
            if (split_ is not ("eval" or "train"))
            {
                await stderr.WriteLineAsync($"error: --split is eval or train, not '{split_}'.");
                return ExitCodes.BadInput;
            }
            return await EvalCli.WithHost(stderr, settings, ct, async (services, configuration, token) =>
            {
                var name = parse.GetValue(model)!;
                if (await EvalCli.SourceAsync(services, configuration, name, parse.GetValue(endpoint), parse.GetValue(maxTokens), stderr) is not { } source)
                    return ExitCodes.BadInput;
                var (d, v) = (parse.GetValue(dataset)!, parse.GetValue(version)!);
                var blob = EvalRunner.SplitBlob(d, v, split_);
                if (!await services.GetRequiredService<Cortex1.Data.Storage.BlobStore>().ExistsAsync(Cortex1.Data.Storage.BlobContainers.Datasets, blob, token))
                {
                    await stderr.WriteLineAsync($"error: no data set split at {Cortex1.Data.Storage.BlobContainers.Datasets}/{blob}: generate it first (Cortex1.Synth).");
                    return ExitCodes.BadInput;
                }
                await stdout.WriteLineAsync($"Tracking '{name}' ({source.Endpoint}) on the latest window of each chain in {blob}.");
                var outcome = await services.GetRequiredService<TrackRunner>().AskAsync(name, source, d, v, split_, line => stdout.WriteLine(line), token);
                return await Finish(outcome, services, stdout, token);
            }, Interrupted);
        });
        fromEval.SetAction(async (parse, ct) => await EvalCli.WithHost(stderr, settings, ct, async (services, _, token) =>
        {
            var key = parse.GetValue(run)!;
            if (await services.GetRequiredService<TrackRunner>().FromEvalAsync(key, line => stdout.WriteLine(line), token) is not { } outcome)
            {
                await stderr.WriteLineAsync($"error: no evaluation '{key}' (a run id, or a model name that was evaluated).");
                return ExitCodes.BadInput;
            }
            return await Finish(outcome, services, stdout, token);
        }, Interrupted));
        score.SetAction(async (parse, ct) => await EvalCli.WithHost(stderr, settings, ct, async (services, _, token) =>
        {
            var scored = await services.GetRequiredService<TrackingStore>().ScoreDueAsync(token);
            await stdout.WriteLineAsync($"Scored {scored} forecast(s) now due.");
            return await Show(services, null, stdout, $"scored_now={scored}", token);
        }));
        show.SetAction(async (parse, ct) => await EvalCli.WithHost(stderr, settings, ct, (services, _, token) =>
            Show(services, parse.GetValue(showModel), stdout, null, token)));

        return CommandLineHost.InvokeAsync(new RootCommand("Cortex1 live prediction tracking.") { track }, args, stdout, stderr, stop);
    }

    private static async Task<int> Finish(TrackOutcome outcome, IServiceProvider services, TextWriter stdout, CancellationToken ct)
    {
        var stored = outcome.Windows.Where(w => w.AnswerId is not null).ToList();
        await stdout.WriteLineAsync($"Stored {stored.Count} answer(s) with {stored.Sum(w => w.Usable)} forecast(s); {outcome.ScoredNow} forecast(s) scored now.");
        return await Show(services, null, stdout, $"model={outcome.Model} answers={stored.Count} forecasts={stored.Sum(w => w.Usable)} scored_now={outcome.ScoredNow}", ct);
    }

    private static async Task<int> Show(IServiceProvider services, string? model, TextWriter stdout, string? keyLine, CancellationToken ct)
    {
        var (records, forecasts) = await services.GetRequiredService<TrackingStore>().TrackRecordAsync(model, ct);
        await stdout.WriteAsync(RecordTable(records));
        if (model is not null) await stdout.WriteAsync(ForecastTable(forecasts));
        await stdout.WriteLineAsync(keyLine ?? string.Join(' ',
            $"models={records.Count}", $"forecasts={records.Sum(r => r.Forecasts)}", $"scored={records.Sum(r => r.Scored)}", $"pending={records.Sum(r => r.Pending)}"));
        return ExitCodes.Ok;
    }

    private static string F(double x) => EvalSummary.F(x);

    /// <summary>The track record, one line per model: the model's numbers beside persistence's on the same forecasts.</summary>
    public static string RecordTable(IReadOnlyList<TrackRecord> records)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"{"model",-24}{"answers",8}{"forecasts",10}{"scored",8}{"pending",8}{"hit rate",10}{"MAPE",9}{"persist.",10}{"cov 90%",9}{"next due",12}");
        foreach (var r in records)
            w.WriteLine($"{r.Model,-24}{r.Answers,8}{r.Forecasts,10}{r.Scored,8}{r.Pending,8}{F(r.Metrics.HitRate),10}{F(r.Metrics.Mape),9}" +
                        $"{F(r.Persistence.Mape),10}{F(r.Metrics.CoverageAt(0.90)),9}{(r.NextDue is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "-"),12}");
        if (records.Count == 0) w.WriteLine("(no forecasts tracked yet: run `track --model … --dataset … --version …`)");
        return w.ToString();
    }

    /// <summary>Each forecast: made on, asset and horizon, due day, what it said, and, once due, what happened.</summary>
    public static string ForecastTable(IReadOnlyList<TrackedForecast> forecasts)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"{"made on",-12}{"asset",-10}{"h",4}  {"due",-12}{"said",-34}{"close",10}{"realised",10}{"hit",6}{"APE",8}{"covered",9}");
        foreach (var f in forecasts)
        {
            var s = f.Score;
            w.WriteLine($"{f.WindowEnd:yyyy-MM-dd}  {f.Forecast.Asset,-10}{f.Forecast.HorizonDays,4}  {f.Due:yyyy-MM-dd}  {Said(f),-34}{f.LastClose,10:0.##}" +
                        $"{(s is null ? "pending" : s.Realised.ToString("0.##", CultureInfo.InvariantCulture)),10}{Yes(s?.Hit),6}{(s?.Ape is { } ape ? F(ape) : "-"),8}{Yes(s?.Covered),9}");
        }
        return w.ToString();
    }

    private static string Yes(bool? b) => b is null ? "-" : b.Value ? "yes" : "no";

    private static string Said(TrackedForecast t)
    {
        var f = t.Forecast;
        string V(double v) => f.Unit == Cortex1.Evaluation.Forecasts.ForecastUnit.Price ? v.ToString("0.##", CultureInfo.InvariantCulture) : v.ToString("+0.#%;-0.#%", CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (f.Point is { } p) parts.Add(V(p));
        if (f.HasInterval) parts.Add($"{f.Level!.Value:0%} [{V(f.Lower!.Value)}, {V(f.Upper!.Value)}]");
        if (f.Stated is { } d) parts.Add(d.ToString().ToLowerInvariant());
        return string.Join(' ', parts);
    }
}
