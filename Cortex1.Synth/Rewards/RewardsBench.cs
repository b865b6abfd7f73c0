using System.Diagnostics;
using Cortex1.Data.Domain;
using Cortex1.Rewards;
using Cortex1.Rewards.Graded;

namespace Cortex1.Synth.Rewards;

/// <summary>
/// Scores per second on one thread for completions cut to 2,000 characters, per graded example
/// quality, like a GRPO step scoring a group of completions of one prompt.
/// </summary>
public static class RewardsBench
{
    private const int CompletionChars = 2_000;

    public static int Run(RewardSystem rewards, double secondsPerRow)
    {
        // One core: pin the process so the number means what it says where the OS allows it.
        try { if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows()) Process.GetCurrentProcess().ProcessorAffinity = 1; }
        catch (Exception e) when (e is PlatformNotSupportedException or System.ComponentModel.Win32Exception) { }

        Console.WriteLine($"Reward bench: {CompletionChars:N0}-char completions, 1 thread, {Environment.ProcessorCount} core(s) visible after pinning");
        Console.WriteLine($"{"set",-24} {"completions",11} {"scores/s",10} {"µs/score",9} {"mean total",10}");
        double worst = double.MaxValue;
        foreach (var group in GradedSet.All.GroupBy(e => e.Quality).OrderByDescending(g => g.Key))
        {
            var items = group.Select(e => (Text: Cut(e.Completion), e.Context)).ToArray();
            var (rate, mean) = Measure(rewards, items, secondsPerRow);
            worst = Math.Min(worst, rate);
            Console.WriteLine($"{group.Key + " quality",-24} {items.Length,11} {rate,10:N0} {1e6 / rate,9:0.0} {mean,10:0.000}");
        }
        var all = GradedSet.All.Select(e => (Text: Cut(e.Completion), e.Context)).ToArray();
        var (allRate, allMean) = Measure(rewards, all, secondsPerRow);
        Console.WriteLine($"{"all",-24} {all.Length,11} {allRate,10:N0} {1e6 / allRate,9:0.0} {allMean,10:0.000}");
        Console.WriteLine(worst >= 5_000 ? "target ≥ 5,000 scores/s: met" : "target ≥ 5,000 scores/s: NOT met");
        return 0;
    }

    private static string Cut(string completion)
    {
        if (completion.Length >= CompletionChars) return completion[..CompletionChars];
        // Short examples are extended with their own text so every completion is 2,000 characters.
        var text = completion;
        while (text.Length < CompletionChars) text += "\n" + completion;
        return text[..CompletionChars];
    }

    private static (double Rate, double MeanTotal) Measure(RewardSystem rewards, (string Text, RewardContext Context)[] items, double seconds)
    {
        double sum = 0;
        foreach (var (text, ctx) in items) sum += rewards.Score(text, ctx).Total; // warm-up: JIT and the per-context facts
        long n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
            foreach (var (text, ctx) in items) { rewards.Score(text, ctx); n++; }
        return (n / sw.Elapsed.TotalSeconds, sum / items.Length);
    }
}
