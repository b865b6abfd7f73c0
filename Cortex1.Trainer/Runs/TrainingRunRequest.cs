using System.Text.RegularExpressions;
using Cortex1.Data.Storage;
using Cortex1.Model.Loading;
using Cortex1.Trainer.Grpo;

namespace Cortex1.Trainer.Runs;

/// <summary>Body of <c>POST /api/training/runs</c> and payload of a <c>train</c> job.</summary>
/// <param name="Name">The adapter's name: it is saved as <c>adapters/{Name}/</c> and served by Inference under that model name.</param>
/// <param name="Dataset">Data set name in blob storage (<c>datasets/{Dataset}/{Version}/train.jsonl</c>).</param>
/// <param name="BaseModel">A <see cref="BaseModelReference"/>: <c>tiny</c> (the embedded tiny Phi-4-architecture model), a local folder, or <c>models/{prefix}</c> in blob storage.</param>
/// <param name="Quantization"><c>nf4</c> (QLoRA) or <c>none</c>.</param>
/// <param name="PromptsPerStep">Prompts per optimiser step (each with its group of <c>NumGenerations</c> completions in
/// GRPO, or its teacher answer in SFT): more prompts per update, less noisy gradients, proportionally slower steps.</param>
/// <param name="LossType">grpo | bnpo | dr_grpo | dapo, as TRL defines them (<see cref="Grpo.GrpoLoss"/>).</param>
/// <param name="ScaleRewards">group | batch | none: what the advantages are divided by.</param>
/// <param name="GradientAccumulationSteps">Micro-batches of PromptsPerStep prompts summed into one update: a step takes their product.</param>
/// <param name="EvalEvery">Held-out evaluation every this many steps of each phase (0 = only before, after SFT and at the end).</param>
/// <param name="GradientCheckpointing">Recompute each decoder layer in backward instead of keeping its activations; null = the
/// model's default (on from 1B layer parameters).</param>
/// <param name="EvalPrompts">Prompts of the data set's eval split answered greedily per evaluation (the first ones, in file order).</param>
public sealed partial record TrainingRunRequest(
    string Name,
    string Dataset,
    string Version,
    string BaseModel = BaseModelReference.BabyName,
    string Quantization = QuantizationName.Nf4,
    int SftSteps = 0,
    int GrpoSteps = 20,
    int NumGenerations = 4,
    int MaxCompletionLength = 256,
    double LearningRate = 1e-4,
    double Beta = 0.04,
    int LoraRank = 16,
    int CheckpointEvery = 10,
    int Seed = 1234,
    int PromptsPerStep = 1,
    double Temperature = 1.0,
    double TopP = 1.0,
    double Epsilon = 0.2,
    double? EpsilonHigh = null,
    string LossType = "grpo",
    string ScaleRewards = "group",
    int NumIterations = 1,
    string LrScheduler = "linear",
    double WarmupRatio = 0,
    double WeightDecay = 0,
    int GradientAccumulationSteps = 1,
    int EvalEvery = 0,
    int EvalPrompts = 16,
    bool? GradientCheckpointing = null)
{
    public const string JobKind = "train";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex SafeName();

    /// <summary>What is wrong with the request, or null when it is valid.</summary>
    public string? Validate() =>
        !SafeName().IsMatch(Name ?? "") ? "name must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit" :
        !SafeName().IsMatch(Dataset ?? "") ? "dataset must be a data set name (a-z, 0-9, '.', '_', '-')" :
        !SafeName().IsMatch(Version ?? "") ? "version must be a data set version (a-z, 0-9, '.', '_', '-')" :
        string.IsNullOrWhiteSpace(BaseModel) ? $"baseModel is required: {BaseModelReference.Forms}" :
        !QuantizationName.TryParse(Quantization, out var q) || !QuantizationName.Trainable.Contains(QuantizationName.Of(q))
            ? $"quantization must be one of: {string.Join(", ", QuantizationName.Trainable)} (LoRA trains over these)" :
        SftSteps < 0 || GrpoSteps < 0 || SftSteps + GrpoSteps == 0 ? "sftSteps and grpoSteps must be ≥ 0 and not both 0" :
        NumGenerations < GrpoOptions.MinGenerations ? $"numGenerations must be at least {GrpoOptions.MinGenerations} (GRPO compares completions within a group)" :
        MaxCompletionLength is < 1 or > 8192 ? "maxCompletionLength must be in [1, 8192]" :
        LearningRate is <= 0 or > 1 ? "learningRate must be in (0, 1]" :
        Beta < 0 ? "beta must be ≥ 0" :
        LoraRank is < 1 or > 256 ? "loraRank must be in [1, 256]" :
        CheckpointEvery < 1 ? "checkpointEvery must be ≥ 1" :
        PromptsPerStep is < 1 or > 64 ? "promptsPerStep must be in [1, 64]" :
        Temperature is <= 0 or > 10 ? "temperature must be in (0, 10]" :
        TopP is <= 0 or > 1 ? "topP must be in (0, 1]" :
        Epsilon is <= 0 or >= 1 ? "epsilon must be in (0, 1)" :
        EpsilonHigh is <= 0 ? "epsilonHigh must be > 0" :
        !Grpo.GrpoLossTypes.All.Contains(LossType) ? $"lossType must be one of {string.Join(", ", Grpo.GrpoLossTypes.All)}" :
        !Grpo.GrpoScaling.All.Contains(ScaleRewards) ? $"scaleRewards must be one of {string.Join(", ", Grpo.GrpoScaling.All)}" :
        NumIterations is < 1 or > 16 ? "numIterations must be in [1, 16]" :
        !Grpo.LearningRateSchedules.All.Contains(LrScheduler) ? $"lrScheduler must be one of {string.Join(", ", Grpo.LearningRateSchedules.All)}" :
        WarmupRatio is < 0 or > 1 ? "warmupRatio must be in [0, 1]" :
        WeightDecay is < 0 or > 1 ? "weightDecay must be in [0, 1]" :
        GradientAccumulationSteps is < 1 or > 64 ? "gradientAccumulationSteps must be in [1, 64]" :
        EvalEvery < 0 ? "evalEvery must be ≥ 0" :
        EvalPrompts is < 0 or > 1000 ? "evalPrompts must be in [0, 1000]" :
        null;
}
