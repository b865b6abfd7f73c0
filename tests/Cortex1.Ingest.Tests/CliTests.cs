using Cortex1.Ingest.Cli;
using Cortex1.ServiceDefaults.CommandLine;

namespace Cortex1.Ingest.Tests;

/// <summary>The CLI's setup errors: each says what is missing and how to set it, and nothing runs.</summary>
public sealed class CliTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await IngestCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Fetch_without_a_key_explains_how_to_set_one()
    {
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Flipside__ApiKey")), "test needs no key in the environment");

        var (code, _, err) = await Run("fetch", "--days", "30", "--chains", "ethereum,near");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("Flipside:ApiKey is not set", err);
        Assert.Contains("load-embedded", err);
    }

    [Fact]
    public async Task Unknown_chains_and_bad_day_counts_are_refused()
    {
        var (code, _, err) = await Run("fetch", "--chains", "ethereum", "dogechain");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("dogechain", err);

        (code, _, err) = await Run("fetch", "--days", "0");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("days must be between", err);
    }

    [Fact]
    public async Task Load_embedded_without_a_database_says_which_setting_is_missing()
    {
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ConnectionStrings__cortexdb")), "test needs no connection string in the environment");

        var (code, _, err) = await Run("load-embedded");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("ConnectionStrings:cortexdb is not set", err);
        Assert.Contains("ConnectionStrings__cortexdb", err);
    }

    [Fact]
    public async Task The_program_runs_its_commands_starts_the_service_with_options_and_refuses_a_typo()
    {
        string[]? served = null;
        Task<int> Serve(string[] args) { served = args; return Task.FromResult(ExitCodes.Ok); }
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        Assert.Equal(ExitCodes.Ok, await ServiceCommands.RunAsync(["--urls", "http://127.0.0.1:5000"], IngestCommands.All, Serve, stdout, stderr));
        Assert.Equal(["--urls", "http://127.0.0.1:5000"], served!);

        served = null;
        Assert.Equal(ExitCodes.BadInput, await ServiceCommands.RunAsync(["load-embeded"], IngestCommands.All, Serve, stdout, stderr));
        Assert.Null(served);
        Assert.Contains("'load-embeded' is not a command", stderr.ToString());
        foreach (var command in new[] { "serve", "fetch", "load-embedded" }) Assert.Contains($"  {command} ", stderr.ToString());

        // A command's own settings errors come through the same dispatch.
        Assert.Equal(ExitCodes.BadInput, await ServiceCommands.RunAsync(["fetch", "--days", "0"], IngestCommands.All, Serve, stdout, stderr));
        Assert.Null(served);
    }
}
