using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cortex1.Model.Config;

/// <summary>Llama 3.x "llama3" RoPE frequency scaling (rope_scaling in config.json).</summary>
public sealed record RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);

/// <summary>The decoder's shape and special ids, parsed from a Hugging Face config.json (+ generation_config.json).</summary>
public sealed record ModelConfig
{
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["phi3", "qwen2", "llama"];

    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required int VocabSize { get; init; }
    public int HeadDim => HiddenSize / NumHeads;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>q/k/v projections carry biases (qwen2 always; llama when attention_bias is set).</summary>
    public bool AttentionBias { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 4096;
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>phi3 stores q/k/v as one qkv_proj and gate/up as one gate_up_proj.</summary>
    public bool FusedProjections => ModelType == "phi3";
    public string TorchDType { get; init; } = "bfloat16";

    public static ModelConfig Load(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"No config.json in model folder '{folder}'.", path);
        var config = Parse(File.ReadAllText(path));
        var genPath = Path.Combine(folder, "generation_config.json");
        if (File.Exists(genPath))
        {
            var gen = JsonNode.Parse(File.ReadAllText(genPath))!.AsObject();
            var eos = ReadIds(gen["eos_token_id"]);
            // generation_config.json is what HF generate() stops on; union keeps config.json's too.
            if (eos.Count > 0) config = config with { EosTokenIds = config.EosTokenIds.Union(eos).ToArray() };
            if (config.BosTokenId is null && gen["bos_token_id"] is JsonValue b) config = config with { BosTokenId = b.GetValue<int>() };
        }
        return config;
    }

    public static ModelConfig Parse(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        var type = o["model_type"]?.GetValue<string>() ?? throw new InvalidDataException("config.json has no model_type.");
        if (!SupportedModelTypes.Contains(type))
            throw new NotSupportedException($"Unsupported model_type '{type}'; supported: {string.Join(", ", SupportedModelTypes)}.");
        int Req(string key) => o[key]?.GetValue<int>() ?? throw new InvalidDataException($"config.json has no '{key}'.");
        var heads = Req("num_attention_heads");
        RopeScaling? scaling = null;
        if (o["rope_scaling"] is JsonObject rs && (rs["rope_type"] ?? rs["type"])?.GetValue<string>() == "llama3")
            scaling = new RopeScaling(rs["factor"]!.GetValue<double>(), rs["low_freq_factor"]!.GetValue<double>(),
                rs["high_freq_factor"]!.GetValue<double>(), rs["original_max_position_embeddings"]!.GetValue<int>());
        else if (o["rope_scaling"] is JsonObject other)
            throw new NotSupportedException($"Unsupported rope_scaling '{other.ToJsonString()}'.");
        if (o["partial_rotary_factor"] is JsonValue prf && prf.GetValue<double>() != 1.0)
            throw new NotSupportedException("partial_rotary_factor != 1 is not supported.");
        return new ModelConfig
        {
            ModelType = type,
            HiddenSize = Req("hidden_size"),
            NumLayers = Req("num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = o["num_key_value_heads"]?.GetValue<int>() ?? heads,
            IntermediateSize = Req("intermediate_size"),
            VocabSize = Req("vocab_size"),
            RopeTheta = o["rope_theta"]?.GetValue<double>() ?? 10000,
            RopeScaling = scaling,
            RmsNormEps = o["rms_norm_eps"]?.GetValue<double>() ?? 1e-6,
            TieWordEmbeddings = o["tie_word_embeddings"]?.GetValue<bool>() ?? false,
            AttentionBias = type == "qwen2" || (o["attention_bias"]?.GetValue<bool>() ?? false),
            MaxPositionEmbeddings = o["max_position_embeddings"]?.GetValue<int>() ?? 4096,
            BosTokenId = o["bos_token_id"] is JsonValue bos ? bos.GetValue<int>() : null,
            EosTokenIds = ReadIds(o["eos_token_id"]),
            TorchDType = o["torch_dtype"]?.GetValue<string>() ?? "bfloat16",
        };
    }

    static List<int> ReadIds(JsonNode? node) => node switch
    {
        JsonArray a => a.Select(x => x!.GetValue<int>()).ToList(),
        JsonValue v => [v.GetValue<int>()],
        _ => [],
    };

    /// <summary>config.json text in HF's spelling (what TinyModel and Save write).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelType switch { "phi3" => "Phi3ForCausalLM", "qwen2" => "Qwen2ForCausalLM", _ => "LlamaForCausalLM" }),
            ["model_type"] = ModelType,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumLayers,
            ["num_attention_heads"] = NumHeads,
            ["num_key_value_heads"] = NumKvHeads,
            ["intermediate_size"] = IntermediateSize,
            ["vocab_size"] = VocabSize,
            ["rope_theta"] = RopeTheta,
            ["rms_norm_eps"] = RmsNormEps,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["hidden_act"] = "silu",
            ["torch_dtype"] = TorchDType,
        };
        if (ModelType == "llama") o["attention_bias"] = AttentionBias;
        if (BosTokenId is int bos) o["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) o["eos_token_id"] = new JsonArray(EosTokenIds.Select(i => (JsonNode)i).ToArray());
        if (RopeScaling is { } s)
            o["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = "llama3", ["factor"] = s.Factor, ["low_freq_factor"] = s.LowFreqFactor,
                ["high_freq_factor"] = s.HighFreqFactor, ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
            };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
