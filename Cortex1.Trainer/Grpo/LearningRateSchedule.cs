namespace Cortex1.Trainer.Grpo;

public static class LearningRateSchedules
{
    public const string Linear = "linear", Cosine = "cosine", Constant = "constant";
    public static IReadOnlyList<string> All { get; } = [Linear, Cosine, Constant];

    /// <summary>
    /// The learning-rate multiplier of optimiser update <paramref name="update"/> (0-based) out of <paramref name="total"/>,
    /// as transformers' get_linear_schedule_with_warmup / get_cosine_schedule_with_warmup (0.5 cycles) /
    /// get_constant_schedule_with_warmup compute it: a linear ramp from 0 over the warm-up, then decay towards 0 at
    /// <paramref name="total"/>. A total of 0 (unknown length) keeps the rate constant after the warm-up.
    /// </summary>
    public static double Factor(string schedule, long update, long total, long warmup)
    {
        if (update < warmup) return (double)update / Math.Max(1, warmup);
        if (schedule == Constant || total <= 0) return 1;
        var progress = (double)(update - warmup) / Math.Max(1, total - warmup);
        return schedule switch
        {
            Linear => Math.Max(0, 1 - progress),
            Cosine => Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
            _ => throw new ArgumentException($"Unknown learning-rate schedule '{schedule}'."),
        };
    }

    /// <summary>Warm-up updates for a ratio, rounded up as HF's get_warmup_steps does.</summary>
    public static long WarmupUpdates(double ratio, long total) => (long)Math.Ceiling(ratio * total);
}
