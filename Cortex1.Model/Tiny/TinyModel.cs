using System.Text.Json;
using System.Text.Json.Nodes;
using Cortex1.Model.Chat;
using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Modeling;
using Cortex1.Model.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Tiny;

/// <summary>Sizes of a tiny model (defaults: 2 layers, hidden 64, 4 heads, 2 KV heads).</summary>
public sealed record TinyModelOptions(int HiddenSize = 64, int Layers = 2, int Heads = 4, int KvHeads = 2, int IntermediateSize = 128,
    int MaxPositionEmbeddings = 2048, long MaxShardBytes = long.MaxValue, ScalarType DType = ScalarType.Float32,
    int? VocabSize = null, bool? TieWordEmbeddings = null);

/// <summary>
/// Writes a small random model, seeded, as a normal HF folder (config.json, model.safetensors, tokenizer.json,
/// tokenizer_config.json, generation_config.json) with a family's real architecture and tokenizer: phi3 (phi-4:
/// cl100k + its special tokens, fused projections), qwen2 (DeepSeek-R1-Distill-Qwen: q/k/v biases, tied
/// embeddings, R1 template) or llama (Llama 3 template and llama3 RoPE scaling). Nothing is downloaded.
/// </summary>
public static class TinyModel
{
    public static readonly IReadOnlyList<string> Families = ["phi3", "qwen2", "llama"];

    /// <summary>
    /// The embedded model's sizes: tiny, with phi-4's own context (16k tokens) so Synth's prompts and answers fit. The
    /// Trainer trains on it and Inference serves it when no model is configured; with one seed and one set of sizes, an
    /// adapter trained on it is served on the same weights and the same context.
    /// </summary>
    public static readonly TinyModelOptions EmbeddedOptions = new(MaxPositionEmbeddings: 16384);

    public const int EmbeddedSeed = 1234;

    /// <summary>The embedded model of <paramref name="family"/> under <paramref name="cacheFolder"/>, created on first use.</summary>
    public static string Embedded(string cacheFolder, string family = "phi3")
    {
        var folder = Path.Combine(cacheFolder, "models", $"tiny-{family}-{EmbeddedOptions.MaxPositionEmbeddings / 1024}k");
        return File.Exists(Path.Combine(folder, "config.json")) ? folder : Create(folder, family, EmbeddedSeed, EmbeddedOptions);
    }

    /// <summary>
    /// Writes the model into <paramref name="folder"/>. It is written beside it and renamed into place, so a reader (another
    /// server or job sharing the cache folder) never sees half a model; when the folder already holds one (config.json),
    /// for instance because a concurrent caller finished first, that one is kept.
    /// </summary>
    public static string Create(string folder, string family = "phi3", int seed = 1234, TinyModelOptions? options = null)
    {
        folder = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        var staging = $"{folder}.partial-{Guid.NewGuid():N}";
        try
        {
            Write(staging, family, seed, options ?? new TinyModelOptions());
            Publish(staging, folder);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return folder;
    }

    static void Publish(string staging, string folder)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (File.Exists(Path.Combine(folder, "config.json"))) return;
            // An empty or half-written folder (left by a crash) is replaced.
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            try
            {
                Directory.Move(staging, folder);
                return;
            }
            catch (IOException) when (attempt < 3)
            {
                // Another writer moved its copy in between: the next pass sees its config.json.
            }
        }
    }

    static void Write(string folder, string family, int seed, TinyModelOptions o)
    {
        Directory.CreateDirectory(folder);
        var (tokenizerJson, vocab, tokenizerConfig, special) = Tokenizer(family);
        var config = new ModelConfig
        {
            ModelType = family,
            HiddenSize = o.HiddenSize,
            NumLayers = o.Layers,
            NumHeads = o.Heads,
            NumKvHeads = o.KvHeads,
            IntermediateSize = o.IntermediateSize,
            VocabSize = o.VocabSize ?? (vocab + 63) / 64 * 64,
            RopeTheta = family switch { "phi3" => 250000, "qwen2" => 1e6, _ => 500000 },
            RopeScaling = family == "llama" ? new RopeScaling(8, 1, 4, 8192) : null,
            RmsNormEps = 1e-5,
            TieWordEmbeddings = o.TieWordEmbeddings ?? family == "qwen2",
            AttentionBias = family == "qwen2",
            MaxPositionEmbeddings = o.MaxPositionEmbeddings,
            BosTokenId = special["bos"],
            EosTokenIds = [special["eos"]],
            TorchDType = DTypeName.Of(o.DType),
        };
        WriteRandomWeights(folder, config, seed, o.DType, o.MaxShardBytes);
        var indent = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizerJson.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), tokenizerConfig.ToJsonString(indent));
        var gen = new JsonObject { ["bos_token_id"] = special["bos"], ["eos_token_id"] = new JsonArray(special["eos"], special["eos2"]) };
        File.WriteAllText(Path.Combine(folder, "generation_config.json"), gen.ToJsonString(indent));
    }

    /// <summary>Random weights in HF names and layout for `config`, written as one file or shards.</summary>
    public static void WriteRandomWeights(string folder, ModelConfig config, int seed, ScalarType dtype, long maxShardBytes = long.MaxValue)
    {
        var tensors = new List<(string, Tensor)>();
        try
        {
            foreach (var (name, shape) in TensorShapes(config))
                tensors.Add((name, RandomTensor(name, shape, seed, dtype)));
            SafeTensors.WriteModel(folder, tensors, maxShardBytes);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    /// <summary>Each tensor gets its own generator seeded from (seed, name), so a model does not depend on tensor order.
    /// (Not HashCode.Combine: it is randomised per process, and the same seed must give the same model everywhere.)</summary>
    public static Tensor RandomTensor(string name, long[] shape, int seed, ScalarType dtype)
    {
        // `using`: held (and freed) past the randn calls; a generator only the collector owns could be freed mid-call.
        using var gen = new Generator(unchecked((ulong)seed * 1_000_003UL + (uint)StableHash(name)));
        using var scope = NewDisposeScope();
        Tensor t;
        if (name.EndsWith("norm.weight")) t = randn(shape, generator: gen).Times(0.1).Plus(1);
        else if (name.EndsWith(".bias")) t = randn(shape, generator: gen).Times(0.1);
        else if (name == "model.embed_tokens.weight") t = randn(shape, generator: gen);
        else t = randn(shape, generator: gen).DividedBy(Math.Sqrt(shape[1]));   // [out, in]: keeps activations O(1) so logits are well separated
        return t.to(dtype).MoveToOuterDisposeScope();
    }

    static int StableHash(string s) { var h = 17; foreach (var c in s) h = unchecked(h * 31 + c); return h; }

    public static IEnumerable<(string Name, long[] Shape)> TensorShapes(ModelConfig c)
    {
        long h = c.HiddenSize, d = c.HeadDim, q = c.NumHeads * d, kv = c.NumKvHeads * d, inter = c.IntermediateSize;
        yield return ("model.embed_tokens.weight", [c.VocabSize, h]);
        for (var i = 0; i < c.NumLayers; i++)
        {
            var p = $"model.layers.{i}";
            yield return ($"{p}.input_layernorm.weight", [h]);
            if (c.FusedProjections) yield return ($"{p}.self_attn.qkv_proj.weight", [q + 2 * kv, h]);
            else
            {
                yield return ($"{p}.self_attn.q_proj.weight", [q, h]);
                yield return ($"{p}.self_attn.k_proj.weight", [kv, h]);
                yield return ($"{p}.self_attn.v_proj.weight", [kv, h]);
                if (c.AttentionBias)
                {
                    yield return ($"{p}.self_attn.q_proj.bias", [q]);
                    yield return ($"{p}.self_attn.k_proj.bias", [kv]);
                    yield return ($"{p}.self_attn.v_proj.bias", [kv]);
                }
            }
            yield return ($"{p}.self_attn.o_proj.weight", [h, q]);
            yield return ($"{p}.post_attention_layernorm.weight", [h]);
            if (c.FusedProjections) yield return ($"{p}.mlp.gate_up_proj.weight", [2 * inter, h]);
            else
            {
                yield return ($"{p}.mlp.gate_proj.weight", [inter, h]);
                yield return ($"{p}.mlp.up_proj.weight", [inter, h]);
            }
            yield return ($"{p}.mlp.down_proj.weight", [h, inter]);
        }
        yield return ("model.norm.weight", [h]);
        if (!c.TieWordEmbeddings) yield return ("lm_head.weight", [c.VocabSize, h]);
    }

    static (JsonObject Json, int Vocab, JsonObject Config, Dictionary<string, int> Special) Tokenizer(string family)
    {
        switch (family)
        {
            case "phi3":
            {
                var cfg = new JsonObject
                {
                    ["bos_token"] = "<|endoftext|>", ["eos_token"] = "<|im_end|>", ["pad_token"] = "<|dummy_85|>",
                    ["model_max_length"] = 16384, ["tokenizer_class"] = "GPT2Tokenizer", ["chat_template"] = ChatTemplates.Phi4Jinja,
                };
                return (TinyTokenizers.Phi4Json(), 100352, cfg, new() { ["bos"] = 100257, ["eos"] = 100265, ["eos2"] = 100257 });
            }
            case "qwen2":
            {
                string[] names = ["<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<｜begin▁of▁sentence｜>", "<|endoftext|>"];
                var added = names.Select(n => (n, true)).Concat([("<think>", false), ("</think>", false)]).ToList();
                var (json, vocab) = TinyTokenizers.BpeJson(TinyTokenizers.QwenPattern, nfc: true, pairMerges: false, added);
                var first = vocab - added.Count;
                var cfg = new JsonObject
                {
                    ["bos_token"] = "<｜begin▁of▁sentence｜>", ["eos_token"] = "<｜end▁of▁sentence｜>", ["model_max_length"] = 16384,
                    ["tokenizer_class"] = "LlamaTokenizerFast", ["chat_template"] = ChatTemplates.DeepSeekR1Jinja,
                };
                return (json, vocab, cfg, new() { ["bos"] = first + 3, ["eos"] = first, ["eos2"] = first + 4 });
            }
            case "llama":
            {
                string[] names = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];
                var (json, vocab) = TinyTokenizers.BpeJson(TextTokenizer.Cl100kPattern, nfc: false, pairMerges: true, names.Select(n => (n, true)).ToList());
                var first = vocab - names.Length;
                var cfg = new JsonObject
                {
                    ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|eot_id|>", ["model_max_length"] = 131072,
                    ["tokenizer_class"] = "PreTrainedTokenizerFast", ["chat_template"] = ChatTemplates.Llama3Jinja,
                };
                return (json, vocab, cfg, new() { ["bos"] = first, ["eos"] = first + 4, ["eos2"] = first + 1 });
            }
            default:
                throw new ArgumentException($"Unknown tiny model family '{family}'; use one of {string.Join(", ", Families)}.");
        }
    }
}
