using System.Text.RegularExpressions;

namespace Cortex1.Trainer.Runs;

/// <summary>Body of <c>POST /api/training/runs</c> and payload of a <c>train</c> job.</summary>
/// <param name="Name">The adapter's name: it is saved as <c>adapters/{Name}/</c> and served by Inference under that model name.</param>
/// <param name="Dataset">Data set name in blob storage (<c>datasets/{Dataset}/{Version}/train.jsonl</c>).</param>
/// <param name="BaseModel"><c>cortex1-baby</c> (default: the embedded pretrained baby model), <c>tiny</c> (random tiny Phi-4-architecture weights), a local folder, or <c>models/{prefix}</c> in blob storage.</param>
/// <param name="Quantization"><c>nf4</c> (QLoRA) or <c>none</c>.</param>
/// <param name="PromptsPerStep">Prompts per optimiser step (each with its group of <c>NumGenerations</c> completions in
/// GRPO, or its teacher answer in SFT): more prompts per update, less noisy gradients, proportionally slower steps.</param>
public sealed partial record TrainingRunRequest(
    string Name,
    string Dataset,
    string Version,
    string BaseModel = Cortex1.Model.Baby.BabyModel.Name,
    string Quantization = "nf4",
    int SftSteps = 0,
    int GrpoSteps = 20,
    int NumGenerations = 4,
    int MaxCompletionLength = 256,
    double LearningRate = 1e-4,
    double Beta = 0.04,
    int LoraRank = 16,
    int CheckpointEvery = 10,
    int Seed = 1234,
    int PromptsPerStep = 1)
{
    public const string JobKind = "train";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex SafeName();

    /// <summary>What is wrong with the request, or null when it is valid.</summary>
    public string? Validate() =>
        !SafeName().IsMatch(Name ?? "") ? "name must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit" :
        !SafeName().IsMatch(Dataset ?? "") ? "dataset must be a data set name (a-z, 0-9, '.', '_', '-')" :
        !SafeName().IsMatch(Version ?? "") ? "version must be a data set version (a-z, 0-9, '.', '_', '-')" :
        string.IsNullOrWhiteSpace(BaseModel) ? "baseModel is required: tiny, a local folder, or models/{prefix}" :
        Quantization is not ("nf4" or "none") ? "quantization must be nf4 or none" :
        SftSteps < 0 || GrpoSteps < 0 || SftSteps + GrpoSteps == 0 ? "sftSteps and grpoSteps must be ≥ 0 and not both 0" :
        NumGenerations < 2 ? "numGenerations must be at least 2 (GRPO compares completions within a group)" :
        MaxCompletionLength is < 1 or > 8192 ? "maxCompletionLength must be in [1, 8192]" :
        LearningRate is <= 0 or > 1 ? "learningRate must be in (0, 1]" :
        Beta < 0 ? "beta must be ≥ 0" :
        LoraRank is < 1 or > 256 ? "loraRank must be in [1, 256]" :
        CheckpointEvery < 1 ? "checkpointEvery must be ≥ 1" :
        PromptsPerStep is < 1 or > 64 ? "promptsPerStep must be in [1, 64]" :
        null;
}
