using System.CommandLine;
using System.Globalization;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Market;
using Cortex1.Data.Migrations;
using Cortex1.Data.Rewards;
using Cortex1.Data.Storage;
using Cortex1.Data.Tracking;
using Cortex1.Evaluation;
using Cortex1.ServiceDefaults.CommandLine;

namespace Cortex1.Trainer.Evaluation;

/// <summary>
/// <c>eval --model M [--endpoint URL] --dataset NAME --version V [--split eval] [--max-tokens N]</c>: asks a model for
/// every prompt of a split and measures the answers (reward, forecasts against what happened, baselines, backtest);
/// the last line printed is <c>key=value</c> pairs. <c>--model teacher</c> scores the split's own answers without asking
/// anyone. <c>eval compare A B</c> prints two stored runs (ids, or model names for their latest runs) side by side.
/// </summary>
public static class EvalCli
{
    /// <summary>Where answers are asked when neither --endpoint nor Eval:Endpoint says: Inference as its launch profile serves it.</summary>
    public const string DefaultEndpoint = "http://localhost:5104/v1";

    /// <param name="settings">Configuration on top of appsettings.json and the environment (tests give their connections here).</param>
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken stop = default,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        var model = new Option<string>("--model") { Description = "The model to ask: a served model or adapter name; 'teacher' scores the split's own answers.", Required = true };
        var endpoint = new Option<string?>("--endpoint") { Description = $"Base URL of an OpenAI-compatible server (…/v1). Default: Eval:Endpoint, else {DefaultEndpoint}. Its key, if any, from Eval:ApiKey." };
        var dataset = new Option<string>("--dataset") { Description = "Data set name (datasets/{dataset}/{version}/{split}.jsonl).", Required = true };
        var version = new Option<string>("--version") { Description = "Data set version.", Required = true };
        var split = new Option<string>("--split") { Description = "eval (held-out time) or train.", DefaultValueFactory = _ => "eval" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per answer.", DefaultValueFactory = _ => 2048 };
        var cost = new Option<double>("--cost-bps") { Description = "Cost of each entry and exit, in basis points of the notional traded.", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => 4 };
        var reportDir = new Option<string?>("--report-dir") { Description = "Also write the report (report.md and its PNGs) to this local folder." };
        var eval = new Command("eval", "Evaluate a model on a data set's held-out split: reward, forecasts vs realised prices, baselines, backtest.")
        {
            model, endpoint, dataset, version, split, maxTokens, cost, concurrency, reportDir,
        };
        var a = new Argument<string>("a") { Description = "A run id, or a model name (its latest run)." };
        var b = new Argument<string>("b") { Description = "Another run id or model name." };
        var compare = new Command("compare", "Print two stored evaluations side by side.") { a, b };
        eval.Subcommands.Add(compare);

        eval.SetAction(async (parse, ct) =>
        {
            var split_ = parse.GetValue(split)!;
            if (split_ is not ("eval" or "train"))
            {
                await stderr.WriteLineAsync($"error: --split is eval or train, not '{split_}'.");
                return ExitCodes.BadInput;
            }
            return await WithHost(stderr, settings, ct, async (services, configuration, token) =>
            {
                var name = parse.GetValue(model)!;
                if (await SourceAsync(services, configuration, name, parse.GetValue(endpoint), parse.GetValue(maxTokens), stderr) is not { } source)
                    return ExitCodes.BadInput;
                var request = new EvalRequest(name, source.Endpoint, parse.GetValue(dataset)!, parse.GetValue(version)!, split_,
                    parse.GetValue(maxTokens), parse.GetValue(cost));
                var blob = $"{BlobContainers.Datasets}/{EvalRunner.SplitBlob(request.Dataset, request.Version, request.Split)}";
                if (!await services.GetRequiredService<BlobStore>().ExistsAsync(BlobContainers.Datasets, EvalRunner.SplitBlob(request.Dataset, request.Version, request.Split), token))
                {
                    await stderr.WriteLineAsync($"error: no data set split at {blob}: generate it first (Cortex1.Synth), or check the name, version and split.");
                    return ExitCodes.BadInput;
                }
                await stdout.WriteLineAsync($"Evaluating '{name}' ({source.Endpoint}) on {blob}.");
                var outcome = await services.GetRequiredService<EvalRunner>().RunAsync(request, source, parse.GetValue(concurrency),
                    line => stdout.WriteLine(line), token);
                if (parse.GetValue(reportDir) is { } dir)
                {
                    var folder = CommandLineHost.ResolveUserPath(dir);
                    Directory.CreateDirectory(folder);
                    foreach (var (file, content) in outcome.Files) await File.WriteAllBytesAsync(Path.Combine(folder, file), content, token);
                    await stdout.WriteLineAsync($"Report also written to {folder}.");
                }
                await stdout.WriteAsync(SummaryTable(outcome.Summary));
                await stdout.WriteLineAsync($"Stored as evaluation {outcome.Id}; report at {outcome.ReportPrefix}/{EvalReport.Markdown}. Compare with: eval compare {outcome.Id} <other>");
                await stdout.WriteLineAsync(outcome.Summary.KeyLine());
                return ExitCodes.Ok;
            });
        });
        compare.SetAction(async (parse, ct) => await WithHost(stderr, settings, ct, async (services, _, token) =>
        {
            var store = services.GetRequiredService<EvalStore>();
            var runs = new List<EvalRunRow>();
            foreach (var key in new[] { parse.GetValue(a)!, parse.GetValue(b)! })
            {
                if (await store.FindAsync(key, token) is not { } run)
                {
                    await stderr.WriteLineAsync($"error: no evaluation '{key}' (a run id, or a model name that was evaluated).");
                    return ExitCodes.BadInput;
                }
                runs.Add(run);
            }
            await stdout.WriteAsync(CompareTable(runs[0], runs[1]));
            return ExitCodes.Ok;
        }));

        var root = new RootCommand("Cortex1 evaluation.") { eval };
        return CommandLineHost.InvokeAsync(root, args, stdout, stderr, stop);
    }

    public const string HttpClientName = "eval";

    /// <summary>
    /// Who answers: the data set's own answers for <c>teacher</c>, else the OpenAI-compatible server at --endpoint (else
    /// Eval:Endpoint, else <see cref="DefaultEndpoint"/>); null, with the error printed, when that is not an http(s) URL.
    /// </summary>
    internal static async Task<IAnswerSource?> SourceAsync(IServiceProvider services, IConfiguration configuration, string model, string? endpoint,
        int maxTokens, TextWriter stderr)
    {
        if (model == DatasetAnswers.ModelName) return new DatasetAnswers();
        var url = endpoint ?? configuration["Eval:Endpoint"] ?? DefaultEndpoint;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            await stderr.WriteLineAsync($"error: --endpoint '{url}' is not an http(s) URL.");
            return null;
        }
        return new ChatEndpoint(services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName), uri, model, maxTokens,
            configuration["Eval:ApiKey"]);
    }

    /// <summary>The host of the evaluation commands (eval, track): PostgreSQL, blobs, the stores and the model's HTTP client.</summary>
    internal static Task<int> WithHost(TextWriter stderr, IReadOnlyDictionary<string, string?>? settings, CancellationToken ct,
        Func<IServiceProvider, IConfiguration, CancellationToken, Task<int>> body, string interrupted = "Interrupted; nothing was stored for this evaluation.")
    {
        var builder = CommandLineHost.CreateBuilder(typeof(EvalCli));
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        return CommandLineHost.RunAsync(builder, new DataCommand
        {
            Needs = [ConnectionNames.Database, ConnectionNames.Blobs],
            Register = b =>
            {
                b.Services.AddMarketStore();
                b.Services.AddSingleton<EvalStore>();
                b.Services.AddSingleton(RewardConfiguration.System(b.Configuration));
                b.Services.AddSingleton<EvalRunner>();
                b.Services.AddTrackingStore();
                b.Services.AddSingleton<TrackRunner>();
                // A model may think for minutes: long attempts, few retries on 429/5xx (honouring Retry-After), a breaker.
                b.Services.AddHttpClient(HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).AddStandardResilienceHandler(o =>
                {
                    o.AttemptTimeout.Timeout = TimeSpan.FromMinutes(10);
                    o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(35);
                    o.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(20);
                    o.Retry.MaxRetryAttempts = 3;
                });
            },
            Work = (services, token) => body(services, services.GetRequiredService<IConfiguration>(), token),
            Interrupted = interrupted,
            ExitCodeOf = e => e is EvalEndpointException or HttpRequestException or Polly.Timeout.TimeoutRejectedException
                or Polly.CircuitBreaker.BrokenCircuitException or InvalidDataException or System.Text.Json.JsonException
                ? ExitCodes.Failed : null,
        }, stderr, ct);
    }

    private static string F(double x) => EvalSummary.F(x);

    public static string SummaryTable(EvalSummary s)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        var p = s.Baselines[Cortex1.Evaluation.Baselines.Baselines.Persistence];
        var d = s.Baselines[Cortex1.Evaluation.Baselines.Baselines.Drift];
        var rw = s.Baselines[Cortex1.Evaluation.Baselines.Baselines.RandomWalk];
        w.WriteLine($"{"",-22}{"model",12}{"persistence",13}{"drift",10}{"random walk",13}");
        w.WriteLine($"{"direction hit rate",-22}{F(s.Model.HitRate),12}{F(p.HitRate),13}{F(d.HitRate),10}{"",13}");
        w.WriteLine($"{"MAPE",-22}{F(s.Model.Mape),12}{F(p.Mape),13}{F(d.Mape),10}{"",13}");
        w.WriteLine($"{"90% coverage",-22}{F(s.Model.CoverageAt(0.9)),12}{"",13}{"",10}{F(rw.CoverageAt(0.9)),13}");
        w.WriteLine($"{"reward",-22}{F(s.Reward),12}   ({s.Answers} answers, {s.Scored} forecasts scored, {F(s.NoForecastShare)} without a usable forecast)");
        w.WriteLine($"{"backtest",-22}{"return",12}{"max dd",13}{"Sharpe",10}");
        w.WriteLine($"{"  recommendations",-22}{F(s.Strategy.MeanReturn),12}{F(s.Strategy.MaxDrawdown),13}{F(s.Strategy.Sharpe),10}");
        w.WriteLine($"{"  buy-and-hold",-22}{F(s.BuyAndHold.MeanReturn),12}{F(s.BuyAndHold.MaxDrawdown),13}{F(s.BuyAndHold.Sharpe),10}");
        return w.ToString();
    }

    public static string CompareTable(EvalRunRow a, EvalRunRow b)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        string Name(EvalRunRow r) => $"{r.Id}: {r.Request.Model}";
        w.WriteLine($"{"",-22}{Name(a),-34}{Name(b),-34}");
        w.WriteLine($"{"data set",-22}{$"{a.Request.Dataset}/{a.Request.Version} {a.Request.Split}",-34}{$"{b.Request.Dataset}/{b.Request.Version} {b.Request.Split}",-34}");
        w.WriteLine($"{"answers",-22}{a.Answers,-34}{b.Answers,-34}");
        w.WriteLine($"{"forecasts",-22}{a.Forecasts,-34}{b.Forecasts,-34}");
        foreach (var m in EvalStore.Metrics)
            w.WriteLine($"{m,-22}{V(a.Metrics[m]),-34}{V(b.Metrics[m]),-34}");
        w.WriteLine($"{"report",-22}{a.ReportPrefix,-34}{b.ReportPrefix,-34}");
        if (a.Request.Dataset != b.Request.Dataset || a.Request.Version != b.Request.Version || a.Request.Split != b.Request.Split)
            w.WriteLine("note: the two runs are on different prompts; their numbers are not directly comparable.");
        return w.ToString();
    }

    private static string V(double? x) => x is { } v ? F(v) : "nan";
}
