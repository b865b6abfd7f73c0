namespace Cortex1.AppHost.Pipeline;

/// <summary>
/// AppHost settings under <c>Pipeline:</c>: whether the Trainer runs the whole flow at start (default on) and with
/// which profile. A profile's stage parameters live in the Trainer's configuration; here only what other resources
/// must agree on: the base model Inference serves, so the adapter the pipeline trains fits it.
/// </summary>
public sealed class PipelineSettings
{
    public bool Enabled { get; set; } = true;

    /// <summary><c>baby</c> (or <c>tiny</c>), <c>ci</c>, <c>phi-4</c>, <c>r1-distill-qwen-14b</c>.</summary>
    public string Profile { get; set; } = "baby";

    /// <summary>Inference's settings per profile: the embedded baby model (nothing to set) or a base model in blob storage.</summary>
    public static IReadOnlyDictionary<string, string>? InferenceModel(string profile) => profile.ToLowerInvariant() switch
    {
        "phi-4" => new Dictionary<string, string> { ["Inference__ModelBlob"] = "microsoft/phi-4", ["Inference__Quantization"] = "nf4" },
        "r1-distill-qwen-14b" => new Dictionary<string, string>
        {
            ["Inference__ModelBlob"] = "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", ["Inference__Quantization"] = "nf4",
        },
        _ => null,
    };
}
