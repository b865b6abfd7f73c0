using System.Diagnostics;
using Cortex1.Rewards;
using Cortex1.Rewards.Graded;

namespace Cortex1.Synth.Scoring;

/// <summary>
/// Scores per second on one thread for 2,000-character completions built from the graded set, like
/// a GRPO step scoring a group of completions of one prompt. Reports the rate per second of CPU
/// time (what one core delivers, even on a busy machine) and per second of wall time.
/// </summary>
public static class RewardsBench
{
    private const int CompletionChars = 2_000;
    private const double Target = 5_000;

    public static int Run(RewardSystem rewards, double secondsPerRow)
    {
        // One core: pin the process where the OS allows it, so no second core helps (GC included).
        try { if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows()) Process.GetCurrentProcess().ProcessorAffinity = 1; }
        catch (Exception e) when (e is PlatformNotSupportedException or System.ComponentModel.Win32Exception) { }

        // The honest reports, whose length and mix the figure has always been measured on.
        var examples = GradedSet.All.Where(e => e.Quality is Quality.High or Quality.Medium or Quality.Low).ToList();
        var completions = examples.Select((e, i) => (Text: Build(examples, i), e.Context, e.Quality)).ToArray();
        Console.WriteLine($"Reward bench: {completions.Length} completions of {CompletionChars:N0} chars, 1 thread pinned to 1 core, " +
                          $"load average {LoadAverage()}");
        Console.WriteLine($"{"set",-16} {"scores/s (cpu)",15} {"µs/score (cpu)",15} {"scores/s (wall)",16} {"mean total",11}");

        Warm(rewards, completions);
        double worst = double.MaxValue;
        foreach (var group in completions.GroupBy(c => c.Quality).OrderByDescending(g => g.Key))
        {
            var items = group.Select(c => (c.Text, c.Context)).ToArray();
            var m = Measure(rewards, items, secondsPerRow);
            worst = Math.Min(worst, m.CpuRate);
            Print($"{group.Key} quality", m);
        }
        var all = Measure(rewards, completions.Select(c => (c.Text, c.Context)).ToArray(), secondsPerRow);
        Print("all", all);
        Console.WriteLine(worst >= Target
            ? $"target ≥ {Target:N0} scores/s on one core: met (slowest set {worst:N0}/s)"
            : $"target ≥ {Target:N0} scores/s on one core: NOT met (slowest set {worst:N0}/s)");
        return 0;
    }

    /// <summary>An example followed by the text of the next ones until it is 2,000 characters: varied, never a repeat.</summary>
    private static string Build(IReadOnlyList<GradedExample> examples, int start)
    {
        var text = examples[start].Completion;
        for (int k = 1; text.Length < CompletionChars; k++) text += "\n" + examples[(start + k) % examples.Count].Completion;
        return text[..CompletionChars];
    }

    /// <summary>
    /// Until the rate stops rising: tiered JIT optimises the scoring code in the background, which
    /// takes seconds on a loaded machine, and an unoptimised first row would misreport the rate.
    /// </summary>
    private static void Warm(RewardSystem rewards, (string Text, RewardContext Context, Quality)[] items)
    {
        var all = items.Select(i => (i.Text, i.Context)).ToArray();
        double previous = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < 60)
        {
            double rate = Measure(rewards, all, 1).CpuRate;
            if (sw.Elapsed.TotalSeconds >= 5 && Math.Abs(rate - previous) / previous < 0.03) break;
            previous = rate;
        }
    }

    private readonly record struct Measurement(double CpuRate, double WallRate, double MeanTotal);

    private static Measurement Measure(RewardSystem rewards, (string Text, RewardContext Context)[] items, double seconds)
    {
        double sum = 0;
        foreach (var (text, ctx) in items) sum += rewards.Score(text, ctx).Total;
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        long n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
            foreach (var (text, ctx) in items) { rewards.Score(text, ctx); n++; }
        var wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        return new Measurement(n / cpu, n / wall, sum / items.Length);
    }

    private static void Print(string name, Measurement m) =>
        Console.WriteLine($"{name,-16} {m.CpuRate,15:N0} {1e6 / m.CpuRate,15:0.0} {m.WallRate,16:N0} {m.MeanTotal,11:0.000}");

    private static string LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a"; }
        catch (IOException) { return "n/a"; }
    }
}
