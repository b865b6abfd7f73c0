using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Synth.Scoring;
using Microsoft.Extensions.Configuration;

namespace Cortex1.Synth.Tests;

/// <summary>The rewards command's parse errors are bad input (exit 2) on its error writer, as every other command's.</summary>
public sealed class RewardsCliExitCodeTests
{
    private static readonly IConfiguration Empty = new ConfigurationBuilder().Build();

    [Theory]
    [InlineData("nope")]
    [InlineData("score", "--no-such-option")]
    public async Task An_unknown_subcommand_or_option_is_exit_2(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.BadInput, await RewardsCli.RunAsync(args, Empty, stdout, stderr));
        Assert.StartsWith("error: ", stderr.ToString());
        Assert.Contains(args[^1], stderr.ToString());
    }
}
