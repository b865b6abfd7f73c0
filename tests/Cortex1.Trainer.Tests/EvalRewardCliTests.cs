using Cortex1.Domain;
using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Trainer.Evaluation;

namespace Cortex1.Trainer.Tests;

/// <summary>eval-reward's bad input (a missing file, a line that is not an example, a model folder that is not one) is exit 2, said on the command's error writer.</summary>
public sealed class EvalRewardCliTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await EvalRewardCli.RunAsync(["eval-reward", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Bad_input_is_exit_2_on_the_error_writer()
    {
        var root = Path.Combine(Path.GetTempPath(), $"cortex1-eval-reward-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var missing = Path.Combine(root, "missing.jsonl");
            var (code, stdout, stderr) = await Run("--input", missing);
            Assert.Equal((ExitCodes.BadInput, ""), (code, stdout));
            Assert.StartsWith("error: ", stderr);
            Assert.Contains("missing.jsonl", stderr);

            var garbage = Path.Combine(root, "garbage.jsonl");
            await File.WriteAllTextAsync(garbage, "this is not json\n");
            (code, _, stderr) = await Run("--input", garbage);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.StartsWith("error: ", stderr);

            var window = new MarketSeries("ethereum", [new MarketDay("ethereum", new DateOnly(2021, 3, 1), new Dictionary<string, double> { [MetricNames.CloseUsd] = 100 }, "test")]);
            var example = new TrainingExample("a", TaskKind.MarketAnalysis, MarketCondition.Bull, "ethereum", window.Start, window.End, "t", "Analyse.", "", "",
                new MarketContext([window]), new ExampleReward(0, 1, null, new Dictionary<string, double>()), new Dictionary<string, string>());
            var valid = Path.Combine(root, "eval.jsonl");
            await File.WriteAllTextAsync(valid, DatasetJson.ToLine(example) + "\n");
            (code, _, stderr) = await Run("--input", valid, "--model", Path.Combine(root, "no-model"));
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.StartsWith("error: Model folder", stderr);
            Assert.Contains("no-model", stderr);

            (code, _, stderr) = await Run("--no-such-option");
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("--no-such-option", stderr);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
