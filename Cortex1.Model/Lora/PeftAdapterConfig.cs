using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cortex1.Model.Lora;

/// <summary>
/// adapter_config.json as PEFT reads and writes it: the LoRA shape (a missing lora_alpha is PEFT's default, 8),
/// use_rslora, rank_pattern/alpha_pattern, and base_model_name_or_path (the hub id vLLM and PEFT resolve the base by).
/// </summary>
public sealed record PeftAdapterConfig(LoraConfig Lora, string? BaseModel)
{
    /// <summary>PEFT's LoraConfig.lora_alpha default.</summary>
    public const double DefaultAlpha = 8;

    public static PeftAdapterConfig Read(string folder)
    {
        var path = Path.Combine(folder, PeftFormat.ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {PeftFormat.ConfigFile} in adapter folder '{folder}'.", path);
        return Parse(JsonNode.Parse(File.ReadAllText(path))!.AsObject());
    }

    public static PeftAdapterConfig Parse(JsonObject cfg)
    {
        if (cfg["peft_type"]?.GetValue<string>() is { } type && type != "LORA") throw new NotSupportedException($"PEFT type '{type}' is not supported (LORA is).");
        var rank = cfg["r"]?.GetValue<int>() ?? throw new InvalidDataException($"{PeftFormat.ConfigFile} has no 'r'.");
        var targets = cfg["target_modules"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => null,
        };
        var lora = new LoraConfig(rank, cfg["lora_alpha"]?.GetValue<double>() ?? DefaultAlpha, cfg["lora_dropout"]?.GetValue<double>() ?? 0, targets,
            cfg["use_rslora"]?.GetValue<bool>() ?? false,
            Pattern(cfg["alpha_pattern"], n => n.GetValue<double>()), Pattern(cfg["rank_pattern"], n => n.GetValue<int>()));
        return new PeftAdapterConfig(lora, cfg["base_model_name_or_path"]?.GetValue<string>());
    }

    static Dictionary<string, T>? Pattern<T>(JsonNode? node, Func<JsonNode, T> value) =>
        node is JsonObject { Count: > 0 } o ? o.ToDictionary(kv => kv.Key, kv => value(kv.Value!)) : null;

    static JsonObject Object<T>(IReadOnlyDictionary<string, T>? d) =>
        new((d ?? new Dictionary<string, T>()).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));

    /// <summary>The JSON PEFT writes, with `targetModules` the modules the weights file holds.</summary>
    public string ToJson(IEnumerable<string> targetModules) => new JsonObject
    {
        ["peft_type"] = "LORA",
        ["task_type"] = "CAUSAL_LM",
        ["base_model_name_or_path"] = BaseModel,
        ["r"] = Lora.Rank,
        ["lora_alpha"] = Lora.Alpha,
        ["lora_dropout"] = Lora.Dropout,
        ["target_modules"] = new JsonArray(targetModules.Select(m => (JsonNode)m).ToArray()),
        ["bias"] = "none",
        ["fan_in_fan_out"] = false,
        ["inference_mode"] = true,
        ["use_rslora"] = Lora.UseRsLora,
        ["rank_pattern"] = Object(Lora.RankPattern),
        ["alpha_pattern"] = Object(Lora.AlphaPattern),
        ["modules_to_save"] = null,
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
