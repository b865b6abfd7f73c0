using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cortex1.Inference.Telemetry;

/// <summary>
/// The service's own OpenTelemetry instruments (ServiceDefaults exports every "Cortex1.*" meter and
/// source, so they show in the Aspire dashboard): one span per request, and the serving metrics an
/// operator sizes a deployment by.
/// </summary>
public sealed class InferenceTelemetry
{
    public const string Name = "Cortex1.Inference";

    public static readonly ActivitySource Source = new(Name);

    public InferenceTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        TimeToFirstToken = meter.CreateHistogram<double>("cortex1.inference.time_to_first_token", "s",
            "From a request entering the queue to its first generated token.");
        TokensPerSecond = meter.CreateHistogram<double>("cortex1.inference.tokens_per_second", "{token}/s",
            "Decode speed of one sequence, from its first token to its last.");
        BatchSize = meter.CreateHistogram<int>("cortex1.inference.batch_size", "{sequence}",
            "Sequences in one batched decode step.");
        PrefillBatchSize = meter.CreateHistogram<int>("cortex1.inference.prefill_batch_size", "{sequence}",
            "Prompts prefilled together in one forward.");
        QueueDepth = meter.CreateUpDownCounter<int>("cortex1.inference.queue_depth", "{sequence}",
            "Sequences waiting for a batch slot.");
        Tokens = meter.CreateCounter<long>("cortex1.inference.tokens", "{token}",
            "Prompt and completion tokens processed (tag token.type).");
        Sequences = meter.CreateCounter<long>("cortex1.inference.sequences", "{sequence}",
            "Finished sequences by outcome: stop, length, cancelled, error.");
        Rejections = meter.CreateCounter<long>("cortex1.inference.rejections", "{request}",
            "Requests answered with an error, by HTTP status and OpenAI error code (429 = at capacity).");
    }

    public Histogram<double> TimeToFirstToken { get; }
    public Histogram<double> TokensPerSecond { get; }
    public Histogram<int> BatchSize { get; }
    public Histogram<int> PrefillBatchSize { get; }
    public UpDownCounter<int> QueueDepth { get; }
    public Counter<long> Tokens { get; }
    public Counter<long> Sequences { get; }
    public Counter<long> Rejections { get; }
}
