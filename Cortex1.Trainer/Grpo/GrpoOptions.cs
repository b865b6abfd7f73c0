using Cortex1.Model.Lora;

namespace Cortex1.Trainer.Grpo;

/// <summary>
/// GRPO settings, named as in TRL's GRPOConfig (v1.9) and HF TrainingArguments where they mean the same thing. Defaults
/// are TRL's, except <see cref="Beta"/> (0.04, DeepSeekMath's; TRL 0) and <see cref="LossType"/> (grpo, the paper's
/// per-sequence mean; TRL's default is dapo).
/// </summary>
public sealed record GrpoOptions
{
    /// <summary>Completions sampled per prompt (G): the group whose mean is each completion's baseline.</summary>
    public int NumGenerations { get; init; } = 4;

    /// <summary>The smallest group: with one completion its advantage against the group mean is always 0.</summary>
    public const int MinGenerations = 2;

    /// <summary>Prompts per micro-batch (TRL's per-device batch is prompts × G completions).</summary>
    public int PromptsPerStep { get; init; } = 1;

    /// <summary>Micro-batches whose gradients are summed before one optimiser update (HF's gradient_accumulation_steps).</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>KL coefficient (β) against the reference policy, the base model with the adapter off.</summary>
    public double Beta { get; init; } = 0.04;

    /// <summary>Lower clipping range (ε) of the importance ratio.</summary>
    public double Epsilon { get; init; } = 0.2;

    /// <summary>Upper clipping range; null = <see cref="Epsilon"/> (DAPO's clip-higher sets it above ε, e.g. 0.28).</summary>
    public double? EpsilonHigh { get; init; }

    /// <summary>How the per-token loss is reduced: grpo | bnpo | dr_grpo | dapo (<see cref="GrpoLoss"/>).</summary>
    public string LossType { get; init; } = GrpoLossTypes.Grpo;

    /// <summary>What the advantages are divided by: group (each group's std) | batch (the whole batch's) | none.</summary>
    public string ScaleRewards { get; init; } = GrpoScaling.Group;

    public double LearningRate { get; init; } = 1e-4;

    /// <summary>AdamW's decoupled weight decay; 0 as in HF TrainingArguments.</summary>
    public double WeightDecay { get; init; }

    /// <summary>linear | cosine | constant, after the warm-up (HF's lr_scheduler_type; default linear).</summary>
    public string LrScheduler { get; init; } = LearningRateSchedules.Linear;

    /// <summary>Share of a phase's optimiser updates spent warming up linearly from 0 (HF's warmup_ratio; default 0).</summary>
    public double WarmupRatio { get; init; }

    /// <summary>SFT steps of the run, so the SFT schedule knows where it ends (0 = no SFT).</summary>
    public int SftSteps { get; init; }

    /// <summary>GRPO steps of the run; the GRPO schedule spans GrpoSteps × NumIterations updates.</summary>
    public int GrpoSteps { get; init; }

    public double MaxGradNorm { get; init; } = 1.0;
    public int MaxCompletionLength { get; init; } = 256;

    /// <summary>Sampling temperature; the log-probs of the loss are taken at the same temperature (logits / T), as in TRL.</summary>
    public float Temperature { get; init; } = 1.0f;
    public float TopP { get; init; } = 1.0f;

    /// <summary>Optimiser updates per generated batch (μ). With 1, the "old" policy equals the current one.</summary>
    public int NumIterations { get; init; } = 1;

    public int Seed { get; init; } = 1234;

    /// <summary>Recompute each decoder layer in backward instead of keeping its activations (HF's gradient_checkpointing);
    /// null = the model's default (<see cref="Cortex1.Model.Modeling.Decoder.GradientCheckpointing"/>).</summary>
    public bool? GradientCheckpointing { get; init; }

    public LoraConfig Lora { get; init; } = new(Rank: 16, Alpha: 32, Dropout: 0.0);

    public double EpsilonUpper => EpsilonHigh ?? Epsilon;

    public void Validate()
    {
        if (NumGenerations < MinGenerations) throw new ArgumentException($"NumGenerations must be at least {MinGenerations}: GRPO's baseline is the group mean.");
        if (PromptsPerStep < 1) throw new ArgumentException("PromptsPerStep must be at least 1.");
        if (GradientAccumulationSteps < 1) throw new ArgumentException("GradientAccumulationSteps must be at least 1.");
        if (Beta < 0) throw new ArgumentException("Beta must be ≥ 0.");
        if (Epsilon is <= 0 or >= 1) throw new ArgumentException("Epsilon must be in (0, 1).");
        if (EpsilonHigh is <= 0) throw new ArgumentException("EpsilonHigh must be > 0.");
        if (!GrpoLossTypes.All.Contains(LossType)) throw new ArgumentException($"LossType must be one of {string.Join(", ", GrpoLossTypes.All)}.");
        if (!GrpoScaling.All.Contains(ScaleRewards)) throw new ArgumentException($"ScaleRewards must be one of {string.Join(", ", GrpoScaling.All)}.");
        if (!LearningRateSchedules.All.Contains(LrScheduler)) throw new ArgumentException($"LrScheduler must be one of {string.Join(", ", LearningRateSchedules.All)}.");
        if (WarmupRatio is < 0 or > 1) throw new ArgumentException("WarmupRatio must be in [0, 1].");
        if (WeightDecay < 0) throw new ArgumentException("WeightDecay must be ≥ 0.");
        if (LearningRate <= 0) throw new ArgumentException("LearningRate must be > 0.");
        if (MaxCompletionLength < 1) throw new ArgumentException("MaxCompletionLength must be ≥ 1.");
        if (NumIterations < 1) throw new ArgumentException("NumIterations must be ≥ 1.");
        if (Temperature <= 0) throw new ArgumentException("Temperature must be > 0 (GRPO samples; the loss divides by it).");
        if (TopP is <= 0 or > 1) throw new ArgumentException("TopP must be in (0, 1].");
    }
}

public static class GrpoLossTypes
{
    public const string Grpo = "grpo", Bnpo = "bnpo", DrGrpo = "dr_grpo", Dapo = "dapo";
    public static IReadOnlyList<string> All { get; } = [Grpo, Bnpo, DrGrpo, Dapo];
}

public static class GrpoScaling
{
    public const string Group = "group", Batch = "batch", None = "none";
    public static IReadOnlyList<string> All { get; } = [Group, Batch, None];
}
