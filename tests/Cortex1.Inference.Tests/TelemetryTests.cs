using System.Collections.Concurrent;
using System.Diagnostics;
using Cortex1.Inference.Telemetry;

namespace Cortex1.Inference.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class TelemetryTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    [Fact]
    public async Task A_request_records_a_span_and_the_serving_metrics()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == InferenceTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var metrics = new MetricRecorder(Server);

        var (status, json, _) = await Server.PostAsync("v1/chat/completions", new
        {
            model = Server.ModelName, messages = new[] { new { role = "user", content = "Telemetry check." } },
            max_tokens = 7, temperature = 0, ignore_eos = true, user = "telemetry-test",
        });
        Assert.Equal(200, status);

        var span = Assert.Single(spans, s => s.DisplayName == $"chat {Server.ModelName}" && (int?)s.GetTagItem("gen_ai.usage.output_tokens") == 7);
        Assert.Equal(json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal("length", span.GetTagItem("gen_ai.response.finish_reasons"));
        Assert.NotEmpty(metrics.Values("cortex1.inference.time_to_first_token"));
        Assert.NotEmpty(metrics.Values("cortex1.inference.tokens_per_second"));
        Assert.Contains(7.0, metrics.Values("cortex1.inference.tokens", "token.type", "completion"));
        Assert.Contains(1.0, metrics.Values("cortex1.inference.queue_depth"));
        Assert.Contains(-1.0, metrics.Values("cortex1.inference.queue_depth"));
    }
}
