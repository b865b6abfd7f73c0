using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Synth.Scoring;

namespace Cortex1.Synth.Cli;

/// <summary>What <c>Cortex1.Synth</c> runs instead of the service (see <see cref="ServiceCommands"/>); a new command is one line here.</summary>
public static class SynthCommands
{
    public static IReadOnlyList<ServiceCommand> All { get; } =
    [
        new("generate", "Generate a reward-gated, balanced, time-split data set into blob storage.", args => SynthCli.RunAsync(args)),
        new("rewards", "The reward system: test (the graded set), score (a JSONL file), bench (scores per second).", Rewards),
    ];

    /// <summary>Runs before any host is built: weights come from appsettings.json, the environment, or <c>--Rewards:…=</c> options.</summary>
    private static Task<int> Rewards(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args[1..].Where(a => a.StartsWith("--Rewards:", StringComparison.OrdinalIgnoreCase)).ToArray())
            .Build();
        return RewardsCli.RunAsync(args[1..], configuration);
    }
}
