namespace Cortex1.Data.Jobs;

/// <summary>A job as the services' HTTP APIs show it (the payload stays internal).</summary>
public sealed record JobView(
    long Id, string Kind, string Status, double Progress, string? Message, string? Error, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, object? Result)
{
    public static JobView From(Job job) => new(
        job.Id, job.Kind, job.Status, job.Progress, job.ProgressMessage, job.Error, job.Attempts,
        job.CreatedAt, job.StartedAt, job.FinishedAt, job.Result?.RootElement);
}
