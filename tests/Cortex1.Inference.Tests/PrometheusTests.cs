using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Cortex1.Inference.Tests;

/// <summary>The Prometheus scrape endpoint: off by default, behind the API key, and showing the serving metrics.</summary>
/// <remarks>
/// Alone, after the parallel tests: OpenTelemetry listens to meters by name process-wide, so a server another test runs at
/// the same time would add its own series of the same metrics to this server's scrape.
/// </remarks>
[Collection(Isolated)]
public sealed partial class PrometheusTests
{
    public const string Isolated = "metrics, alone";

    [Fact]
    public async Task Metrics_are_scraped_with_the_api_key_and_show_queue_tokens_and_rejections()
    {
        await using var server = await InferenceServer.StartAsync(new Dictionary<string, string>
        {
            ["Metrics:Prometheus"] = "true",
            ["Inference:ApiKey"] = "sk-metrics-test",
        });
        var chat = await server.PostAsync("v1/chat/completions", new
        {
            model = server.ModelName, messages = new[] { new { role = "user", content = "Is this a bull market?" } }, max_tokens = 3, temperature = 0,
        });
        Assert.Equal(200, chat.Status);
        var promptTokens = chat.Body.GetProperty("usage").GetProperty("prompt_tokens").GetInt64();
        Assert.Equal(404, (await server.PostAsync("v1/chat/completions", new { model = "gpt-9", messages = new[] { new { role = "user", content = "hi" } } })).Status);

        using var anonymous = new HttpClient { BaseAddress = server.BaseUrl };
        using (var refused = await anonymous.GetAsync("metrics"))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var text = await server.Http.GetStringAsync("metrics");
        Assert.Matches(@"(?m)^cortex1_inference_queue_depth(\{[^}]*\})? 0( [0-9]+)?$", text); // nothing waits once the answer is back
        Assert.True(Sample(text, "cortex1_inference_tokens_total", "token_type=\"prompt\"") >= promptTokens, text);
        Assert.True(Sample(text, "cortex1_inference_tokens_total", "token_type=\"completion\"") >= 3, text);
        Assert.True(Sample(text, "cortex1_inference_rejections_total", "error_code=\"model_not_found\"") >= 1, text);
        Assert.True(Sample(text, "cortex1_inference_rejections_total", "error_code=\"invalid_api_key\"") >= 1, text);
    }

    [Fact]
    public async Task Without_the_setting_there_is_no_metrics_endpoint()
    {
        await using var server = await InferenceServer.StartAsync();
        using var response = await server.Http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels include <paramref name="label"/>.</summary>
    private static double Sample(string text, string metric, string label)
    {
        foreach (Match m in SampleLine().Matches(text))
            if (m.Groups[1].Value == metric && m.Groups[2].Value.Contains(label, StringComparison.Ordinal))
                return double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        return double.NaN;
    }

    [GeneratedRegex(@"(?m)^([a-z0-9_]+)\{([^}]*)\} ([0-9.eE+-]+)")]
    private static partial Regex SampleLine();
}

[CollectionDefinition(PrometheusTests.Isolated, DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary>Tests that measure the whole process (managed heap in use), which a parallel test's allocations would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMeasurements
{
    public const string Name = "process measured alone";
}
