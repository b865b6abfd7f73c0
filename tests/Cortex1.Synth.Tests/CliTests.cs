using Cortex1.Data;
using Cortex1.Synth.Cli;

namespace Cortex1.Synth.Tests;

/// <summary>The <c>generate</c> command in-process, configured through the environment as a user would.</summary>
[Collection(MarketCollection.Name)]
public class CliTests(MarketDatabase fx)
{
    private static readonly string[] Generate =
        ["generate", "--dataset-size", "small", "--chains", "market", "--verify-all", "--teacher", "offline", "--name", "cli-small"];

    private static async Task<(int Code, string Out, string Err)> Run(string[] args, string? db, string? blobs)
    {
        var names = new[] { $"ConnectionStrings__{ConnectionNames.Database}", $"ConnectionStrings__{ConnectionNames.Blobs}" };
        var saved = names.Select(Environment.GetEnvironmentVariable).ToArray();
        Environment.SetEnvironmentVariable(names[0], db);
        Environment.SetEnvironmentVariable(names[1], blobs);
        try
        {
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            var code = await SynthCli.RunAsync(args, stdout, stderr);
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
        Assert.True(code == SynthCli.Ok, stderr);
        Assert.Contains("datasets/cli-small/offline-s42: train 32", stdout);
        Assert.Contains("gate 0.45", stdout);
        Assert.Contains("-- train --dataset cli-small --version offline-s42", stdout);   // the next step, ready to paste

        (code, stdout, _) = await Run(Generate, fx.Db.ConnectionString, fx.BlobConnection);
        Assert.Equal(SynthCli.Ok, code);
        Assert.Contains("already generated", stdout);
    }

    [Fact]
    public async Task Missing_connection_strings_and_bad_sizes_are_clear_errors()
    {
        var (code, _, stderr) = await Run(Generate, null, fx.BlobConnection);
        Assert.Equal(SynthCli.BadSetup, code);
        Assert.Contains("ConnectionStrings:cortexdb is not set", stderr);

        (code, _, stderr) = await Run(["generate", "--dataset-size", "huge"], fx.Db.ConnectionString, fx.BlobConnection);
        Assert.Equal(SynthCli.BadSetup, code);
        Assert.Contains("dataset size 'huge' is unknown", stderr);
    }
}
