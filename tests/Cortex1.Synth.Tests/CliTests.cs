using Cortex1.Data;
using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Synth.Cli;

namespace Cortex1.Synth.Tests;

/// <summary>The <c>generate</c> command in-process, configured through the environment as a user would.</summary>
[Collection(MarketCollection.Name)]
public class CliTests(MarketDatabase fx)
{
    private static readonly string[] Generate =
        ["generate", "--dataset-size", "small", "--chains", "market", "--verify-all", "--teacher", "offline", "--name", "cli-small"];

    /// <summary>A console that tells a listener of each line as it is written.</summary>
    private sealed class WatchedWriter(Action<string> onLine) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            onLine(value ?? "");
        }
    }

    private static async Task<(int Code, string Out, string Err)> Run(string[] args, string? db, string? blobs,
        Action<string>? onLine = null, CancellationToken stop = default)
    {
        var names = new[] { $"ConnectionStrings__{ConnectionNames.Database}", $"ConnectionStrings__{ConnectionNames.Blobs}" };
        var saved = names.Select(Environment.GetEnvironmentVariable).ToArray();
        Environment.SetEnvironmentVariable(names[0], db);
        Environment.SetEnvironmentVariable(names[1], blobs);
        try
        {
            var (stdout, stderr) = (new WatchedWriter(onLine ?? (_ => { })), new StringWriter());
            var code = await SynthCli.RunAsync(args, stdout, stderr, stop);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            for (var i = 0; i < names.Length; i++) Environment.SetEnvironmentVariable(names[i], saved[i]);
        }
    }

    [Fact]
    public async Task Generate_builds_the_data_set_and_a_rerun_reports_it_done()
    {
        var (code, stdout, stderr) = await Run(Generate, fx.Db.ConnectionString, fx.BlobConnection);
        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains("datasets/cli-small/offline-s42: train 32", stdout);
        Assert.Contains("gate 0.45", stdout);
        Assert.Contains("-- train --dataset cli-small --version offline-s42", stdout);   // the next step, ready to paste

        (code, stdout, _) = await Run(Generate, fx.Db.ConnectionString, fx.BlobConnection);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("already generated", stdout);
    }

    [Fact]
    public async Task Missing_connection_strings_and_bad_sizes_are_clear_errors()
    {
        var (code, _, stderr) = await Run(Generate, null, fx.BlobConnection);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("ConnectionStrings:cortexdb is not set", stderr);

        (code, _, stderr) = await Run(["generate", "--dataset-size", "huge"], fx.Db.ConnectionString, fx.BlobConnection);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("dataset size 'huge' is unknown", stderr);
    }

    [Fact]
    public async Task Interrupted_it_keeps_what_it_made_exits_130_and_the_same_command_resumes()
    {
        string[] generate = [.. Generate[..^1], "cli-interrupted"];
        using var ctrlC = new CancellationTokenSource();
        var (code, stdout, stderr) = await Run(generate, fx.Db.ConnectionString, fx.BlobConnection,
            line => { if (line.Contains(": reward ", StringComparison.Ordinal)) ctrlC.Cancel(); }, ctrlC.Token);   // after the first stored example
        Assert.True(code == ExitCodes.Interrupted, stderr + stdout);
        Assert.Contains("Interrupted. Every example produced so far is stored", stderr);

        (code, stdout, stderr) = await Run(generate, fx.Db.ConnectionString, fx.BlobConnection);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        Assert.Contains("Resuming cli-interrupted/offline-s42", stdout);
        Assert.Contains("datasets/cli-interrupted/offline-s42: train 32", stdout);
    }

    [Fact]
    public async Task The_program_refuses_a_mistyped_command_and_lists_its_commands()
    {
        var served = false;
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await ServiceCommands.RunAsync(["genrate", "--dataset-size", "small"], SynthCommands.All,
            _ => { served = true; return Task.FromResult(ExitCodes.Ok); }, stdout, stderr);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.False(served);
        Assert.Contains("'genrate' is not a command", stderr.ToString());
        foreach (var command in new[] { "serve", "generate", "rewards" }) Assert.Contains($"  {command} ", stderr.ToString());
    }
}
