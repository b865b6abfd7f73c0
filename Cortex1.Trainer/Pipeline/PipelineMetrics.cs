using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Cortex1.Trainer.Pipeline;

/// <summary>
/// The pipeline's progress and each job's figures as OpenTelemetry gauges (meter <c>Cortex1.Pipeline</c>, shown in the
/// dashboard's Metrics view): stage progress, training loss, reward per component, tokens per second, held-out and
/// evaluation reward. The orchestrator sets the values as it watches the jobs; the gauges report the latest.
/// </summary>
public sealed class PipelineMetrics : IDisposable
{
    public const string MeterName = "Cortex1.Pipeline";

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<(string Name, string Tag, string Value), double> _values = new();

    public PipelineMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        Gauge("cortex1.pipeline.stage.progress", "Progress of each pipeline stage, 0 to 1.", "{fraction}");
        Gauge("cortex1.training.loss", "Loss of the latest training step, by phase.", "{loss}");
        Gauge("cortex1.training.reward", "GRPO reward of the latest step: composite and each component.", "{reward}");
        Gauge("cortex1.training.tokens_per_second", "Tokens trained on (SFT) or sampled (GRPO) per second in the latest step.", "{token}/s");
        Gauge("cortex1.training.heldout_reward", "Held-out reward at the latest evaluation of the run, by phase.", "{reward}");
        Gauge("cortex1.eval.reward", "Mean reward of the latest evaluation: composite and each component.", "{reward}");
    }

    public void Set(string name, string tag, string value, double x)
    {
        if (!double.IsFinite(x)) return;
        _values[(name, tag, value)] = x;
    }

    public double? Get(string name, string tag, string value) => _values.TryGetValue((name, tag, value), out var x) ? x : null;

    private void Gauge(string name, string description, string unit) =>
        _meter.CreateObservableGauge(name, () => _values
            .Where(kv => kv.Key.Name == name)
            .Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>(kv.Key.Tag, kv.Key.Value))), unit, description);

    public void Dispose() => _meter.Dispose();
}
