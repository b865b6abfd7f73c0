using Cortex1.Model.Lora;

namespace Cortex1.Trainer.Grpo;

/// <summary>
/// GRPO settings, named as in TRL's GRPOConfig where they mean the same thing. Defaults are
/// DeepSeekMath's GRPO with TRL's defaults for a LoRA run.
/// </summary>
public sealed record GrpoOptions
{
    /// <summary>Completions sampled per prompt (G): the group whose mean is each completion's baseline.</summary>
    public int NumGenerations { get; init; } = 4;

    /// <summary>The smallest group: with one completion its advantage against the group mean is always 0.</summary>
    public const int MinGenerations = 2;

    /// <summary>Prompts per optimiser step.</summary>
    public int PromptsPerStep { get; init; } = 1;

    /// <summary>KL coefficient (β) against the reference policy, the base model with the adapter off.</summary>
    public double Beta { get; init; } = 0.04;

    /// <summary>Clipping range (ε) of the importance ratio.</summary>
    public double Epsilon { get; init; } = 0.2;

    public double LearningRate { get; init; } = 1e-4;
    public double MaxGradNorm { get; init; } = 1.0;
    public int MaxCompletionLength { get; init; } = 256;
    public float Temperature { get; init; } = 0.9f;
    public float TopP { get; init; } = 1.0f;

    /// <summary>Optimiser updates per generated batch (μ). With 1, the "old" policy equals the current one.</summary>
    public int NumIterations { get; init; } = 1;

    public int Seed { get; init; } = 1234;

    public LoraConfig Lora { get; init; } = new(Rank: 16, Alpha: 32, Dropout: 0.0);

    public void Validate()
    {
        if (NumGenerations < MinGenerations) throw new ArgumentException($"NumGenerations must be at least {MinGenerations}: GRPO's baseline is the group mean.");
        if (PromptsPerStep < 1) throw new ArgumentException("PromptsPerStep must be at least 1.");
        if (Beta < 0) throw new ArgumentException("Beta must be ≥ 0.");
        if (Epsilon is <= 0 or >= 1) throw new ArgumentException("Epsilon must be in (0, 1).");
        if (LearningRate <= 0) throw new ArgumentException("LearningRate must be > 0.");
        if (MaxCompletionLength < 1) throw new ArgumentException("MaxCompletionLength must be ≥ 1.");
        if (NumIterations < 1) throw new ArgumentException("NumIterations must be ≥ 1.");
    }
}
