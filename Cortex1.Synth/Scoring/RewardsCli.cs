using Cortex1.Data.CommandLine;
using Cortex1.Data.Rewards;
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cortex1.Rewards;
using Cortex1.Rewards.Graded;
using Cortex1.Synth.Api;

namespace Cortex1.Synth.Scoring;

/// <summary>
/// <c>rewards test --verbose</c>, <c>rewards score --input file.jsonl</c> and <c>rewards bench</c>:
/// the reward system's commands. Weights come from configuration
/// (<c>Rewards:Weights</c> in appsettings.json, environment, or <c>--Rewards:Weights:X=…</c>).
/// </summary>
public static class RewardsCli
{
    /// <param name="output">Where the commands' parse errors and messages go (default: the console).</param>
    public static Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter? output = null, TextWriter? error = null)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        RewardSystem system;
        try { system = RewardConfiguration.System(configuration); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Bad weights (negative, all zero, not a number) are a configuration error, not a crash.
            stderr.WriteLine($"Invalid reward weights: {e.Message}");
            return Task.FromResult(2);
        }
        var rewards = () => system;

        var verbose = new Option<bool>("--verbose") { Description = "Print every component of every example." };
        var test = new Command("test", "Score the graded set (honest and adversarial reports per task kind) and check its ordering.") { verbose };
        test.SetAction(r => Test(rewards(), r.GetValue(verbose)));

        var input = new Option<FileInfo>("--input") { Description = "JSONL: completion|answer, kind|task_kind, market per line.", Required = true };
        var score = new Command("score", "Print one JSON reward breakdown per input line.") { input };
        score.SetAction(r => Score(rewards(), r.GetValue(input)!));

        var seconds = new Option<double>("--seconds") { Description = "Measuring time per row.", DefaultValueFactory = _ => 3 };
        var bench = new Command("bench", "Scores per second for 2,000-character completions on one core.") { seconds };
        bench.SetAction(r => RewardsBench.Run(rewards(), r.GetValue(seconds)));

        var root = new RootCommand("Cortex1 reward system") { test, score, bench };
        // Configuration overrides (--Rewards:Weights:X=…) are read by the host's configuration, not by this parser.
        var commandArgs = args.Where(a => !a.StartsWith("--Rewards:", StringComparison.OrdinalIgnoreCase)).ToArray();
        // An unknown subcommand or option is bad input (2), as in every other command.
        return CommandLineHost.InvokeAsync(root, commandArgs, stdout, stderr);
    }

    private static int Test(RewardSystem rewards, bool verbose)
    {
        var report = GradedSet.Run(rewards);
        Console.WriteLine($"{"example",-32} {"total",6} {"penalty",7} {"truth",6}");
        foreach (var r in report.Results.OrderBy(r => r.Example.Kind).ThenByDescending(r => r.Example.Quality))
        {
            Console.WriteLine($"{r.Example.Name,-32} {r.Breakdown.Total,6:0.000} {r.Breakdown.Penalty,7:0.00} {r.Breakdown.Truth,6:0.00}");
            if (!verbose) continue;
            foreach (var (name, c) in r.Breakdown.Components)
                Console.WriteLine($"    {name,-22} {c.Score,5:0.00}  {c.Explanation}");
            Console.WriteLine($"    {"penalty",-22} {r.Breakdown.Penalty,5:0.00}  {r.Breakdown.PenaltyExplanation}");
            Console.WriteLine($"    {"truth",-22} {r.Breakdown.Truth,5:0.00}  {r.Breakdown.TruthExplanation}");
        }
        if (report.Passed)
        {
            var orders = string.Join(", ", GradedSet.Orderings.Select(o => $"{o.Better} > {o.Worse}".ToLowerInvariant()));
            Console.WriteLine($"PASS: per kind {orders}; high ≥ {GradedSet.HighFloor}, low ≤ {GradedSet.LowCeiling}.");
            return 0;
        }
        foreach (var f in report.Failures) Console.Error.WriteLine($"FAIL: {f}");
        return 1;
    }

    private static int Score(RewardSystem rewards, FileInfo input)
    {
        if (!input.Exists) { Console.Error.WriteLine($"Input file not found: {input.FullName}"); return 2; }
        int line = 0, failed = 0;
        foreach (var text in File.ReadLines(input.FullName))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                var (completion, context) = ParseLine(text);
                var b = rewards.Score(completion, context);
                Console.WriteLine(JsonSerializer.Serialize(new { line, b.Total, b.Penalty, b.PenaltyExplanation, b.Truth, b.TruthExplanation, b.Components }, RewardJson.Options));
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or ArgumentException)
            {
                failed++;
                Console.Error.WriteLine($"{input.Name}:{line}: {e.Message}");
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Reads Synth's example record or a bare {completion, kind, market} object (the reward API's item, market inline).</summary>
    internal static (string Completion, RewardContext Context) ParseLine(string json)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("line is not a JSON object");
        var item = RewardItem.Parse(node);
        if (item.Market is null) throw new InvalidDataException("a line needs its 'market' inline (data-set examples are looked up by the reward API)");
        return (item.Completion, new RewardContext(item.Market, item.Kind!.Value));
    }
}
