using System.Text.RegularExpressions;

namespace Cortex1.Model.Lora;

/// <summary>
/// A LoRA adapter's shape (Hu et al. 2021): ΔW = B·A·(alpha/rank), A random, B zero at start; rsLoRA (Kalajdzievski
/// 2023) scales by alpha/√rank instead. TargetModules are HF module names: q_proj k_proj v_proj o_proj gate_proj up_proj
/// down_proj; on phi3 q/k/v map to its fused qkv_proj and gate/up to gate_up_proj (PEFT's names for those modules).
/// AlphaPattern/RankPattern are PEFT's per-module overrides (keys are regexes matched against the module's name's end).
/// </summary>
public sealed record LoraConfig(int Rank = 16, double Alpha = 32, double Dropout = 0.05, IReadOnlyList<string>? TargetModules = null,
    bool UseRsLora = false, IReadOnlyDictionary<string, double>? AlphaPattern = null, IReadOnlyDictionary<string, int>? RankPattern = null)
{
    public static readonly IReadOnlyList<string> AllLinear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public IReadOnlyList<string> Targets => TargetModules ?? AllLinear;
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    public int RankFor(string module) => Match(RankPattern, module) is { } k ? RankPattern![k] : Rank;
    public double AlphaFor(string module) => Match(AlphaPattern, module) is { } k ? AlphaPattern![k] : Alpha;
    public double ScaleFor(string module) => UseRsLora ? AlphaFor(module) / Math.Sqrt(RankFor(module)) : AlphaFor(module) / RankFor(module);

    /// <summary>PEFT's get_pattern_key: the first pattern p for which `(.*\.)?(p)$` matches the module's full name.</summary>
    static string? Match<T>(IReadOnlyDictionary<string, T>? patterns, string module) =>
        patterns?.Keys.FirstOrDefault(p => Regex.IsMatch(module, $@"^(.*\.)?({p})$"));
}
