namespace Cortex1.Synth.Generation;

/// <summary>Configuration section <c>Synth</c>.</summary>
public sealed class SynthOptions
{
    public const string Section = "Synth";

    /// <summary>Examples scoring below this reward total are rejected (kept in PostgreSQL, not in the data set).</summary>
    public double QualityGate { get; set; } = 0.45;

    /// <summary>Tasks planned per kept example wanted, to leave room for rejections and duplicates.</summary>
    public double Overgenerate { get; set; } = 1.25;

    /// <summary>Share of a run's tasks whose teacher call may fail (malformed reply, timeout) before the run stops.</summary>
    public double MaxFailedTaskShare { get; set; } = 0.2;

    /// <summary>Fewest examples a run must put in its data set (train + eval); fewer fails the run instead of publishing it.</summary>
    public int MinExamples { get; set; } = 1;

    /// <summary>Least time between progress writes; each is also the job's lease heartbeat, so not every example needs one.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);
}
