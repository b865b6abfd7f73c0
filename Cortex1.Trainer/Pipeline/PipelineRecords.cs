namespace Cortex1.Trainer.Pipeline;

/// <summary>The states of the pipeline and of each stage, as <c>GET /api/pipeline</c> writes them.</summary>
public static class PipelineStates
{
    public const string Waiting = "waiting";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";

    /// <summary>The pipeline's state from its stages': failed if one failed, done when all are, waiting before any started.</summary>
    public static string Of(IReadOnlyCollection<string> stages) =>
        stages.Count == 0 ? Waiting
        : stages.Contains(Failed) ? Failed
        : stages.All(s => s == Done) ? Done
        : stages.All(s => s == Waiting) ? Waiting
        : Running;
}

/// <summary>One stage as stored and shown: its job (in the owning service's queue), progress and output.</summary>
public sealed record PipelineStageView(
    string Name, string Service, string State, double Progress, string? Message, string? Error, long? JobId,
    object? Output, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>The body of <c>GET /api/pipeline</c>.</summary>
public sealed record PipelineView(
    string State, string Profile, bool Enabled, string? ServedModel, string? Report, IReadOnlyList<PipelineStageView> Stages);
