using System.Threading.Channels;
using Cortex1.Model.Generation;

namespace Cortex1.Inference.Scheduling;

/// <summary>How to generate: sampling, length and stop conditions; the same for every choice of a request.</summary>
public sealed record GenerationParams(
    int MaxTokens, SamplingOptions Sampling, IReadOnlyList<string> StopStrings, bool IgnoreEos);

/// <summary>
/// One sequence to generate: a prompt, its parameters, the adapter (null = base model), and where its
/// events go. A request with <c>n</c> choices submits <c>n</c> jobs sharing one event channel.
/// </summary>
public sealed class GenerationJob(
    int choice, int[] promptTokens, GenerationParams parameters, string? adapter,
    ChannelWriter<GenerationEvent> events, CancellationToken cancellation)
{
    public int Choice { get; } = choice;
    public int[] PromptTokens { get; } = promptTokens;
    public GenerationParams Parameters { get; } = parameters;
    public string? Adapter { get; } = adapter;
    public ChannelWriter<GenerationEvent> Events { get; } = events;
    public CancellationToken Cancellation { get; } = cancellation;
    public long EnqueuedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
}
