namespace Cortex1.Model.Generation;

/// <summary>Decoding settings. Temperature 0 = greedy. TopK 0 and TopP 1 = off. Penalties as in HF (repetition) and
/// OpenAI (presence/frequency). Seed makes sampling reproducible per sequence.</summary>
public sealed record SamplingOptions(float Temperature = 0f, float TopP = 1f, int TopK = 0, float RepetitionPenalty = 1f,
    float PresencePenalty = 0f, float FrequencyPenalty = 0f, int? Seed = null)
{
    public static SamplingOptions Greedy { get; } = new();
}
