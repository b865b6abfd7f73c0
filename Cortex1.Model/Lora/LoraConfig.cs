namespace Cortex1.Model.Lora;

/// <summary>
/// A LoRA adapter's shape (Hu et al. 2021): ΔW = B·A·(alpha/rank), A random, B zero at start.
/// TargetModules are HF module names: q_proj k_proj v_proj o_proj gate_proj up_proj down_proj; on phi3
/// q/k/v map to its fused qkv_proj and gate/up to gate_up_proj (PEFT's names for those modules).
/// </summary>
public sealed record LoraConfig(int Rank = 16, double Alpha = 32, double Dropout = 0.05, IReadOnlyList<string>? TargetModules = null)
{
    public static readonly IReadOnlyList<string> AllLinear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public IReadOnlyList<string> Targets => TargetModules ?? AllLinear;
    public double Scale => Alpha / Rank;
}
