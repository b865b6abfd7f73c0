using Cortex1.Inference.Bench;

namespace Cortex1.Inference.Tests;

/// <summary>The load bench against the running test server: it must measure, not just print a table.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class LoadTestTests(SharedServer shared)
{
    [Fact]
    public async Task It_drives_concurrent_streams_and_reports_each_level_without_errors()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await LoadTest.RunAsync(["--url", shared.Server.BaseUrl.ToString(), "--clients", "1,3", "--max-tokens", "4", "--temperature", "1"], stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        var rows = stdout.ToString().Split('\n').Where(l => l.StartsWith("| 1 |") || l.StartsWith("| 3 |")).Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal(["1", "3"], rows.Select(r => r[1]));
        Assert.All(rows, r => Assert.Equal(r[1], r[2]));      // every stream completed
        Assert.All(rows, r => Assert.Equal("0", r[8]));       // no errors
        Assert.All(rows, r => Assert.True(double.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture) > 0, "TTFT measured"));
    }

    [Theory]
    [InlineData("--clients", "0", "--clients '0' must be a positive whole number.")]
    [InlineData("--temperature", "hot", "--temperature 'hot' must be a number in [0, 2].")]
    [InlineData("--speed", "9", "Unknown option --speed.")]
    public async Task Bad_options_are_named_with_the_usage(string option, string value, string message)
    {
        var stderr = new StringWriter();
        Assert.Equal(2, await LoadTest.RunAsync([option, value], new StringWriter(), stderr));
        Assert.StartsWith(message, stderr.ToString());
        Assert.Contains("usage: loadtest", stderr.ToString());
    }
}
