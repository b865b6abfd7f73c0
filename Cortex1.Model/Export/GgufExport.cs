using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Cortex1.Model.Config;
using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model.Export;

/// <summary>
/// Writes a Hugging Face checkpoint (phi3, qwen2, llama) as one GGUF file llama.cpp and Ollama load: the architecture's
/// hyper-parameters under "{arch}.*", the tokenizer as llama.cpp's "gpt2" (byte-level BPE) model with its
/// pre-tokenizer, special ids and chat template, and the tensors under llama.cpp's names. Norms, biases and RoPE factors
/// stay F32 (as llama.cpp's converter keeps 1-D tensors); matrices take the requested type, except that with Q4_0 the
/// output projection is Q8_0 (llama.cpp's quantiser also keeps it at higher precision), and a matrix whose rows are not
/// whole 32-value blocks falls back to F16.
/// </summary>
public static class GgufExport
{
    public static GgufType ParseType(string s) => s.ToLowerInvariant() switch
    {
        "f32" => GgufType.F32,
        "f16" => GgufType.F16,
        "q8_0" => GgufType.Q8_0,
        "q4_0" => GgufType.Q4_0,
        _ => throw new ArgumentException($"Unknown GGUF type '{s}'; use f32, f16, q8_0 or q4_0."),
    };

    /// <summary>llama_ftype (general.file_type): what the file mostly holds.</summary>
    static uint FileType(GgufType t) => t switch { GgufType.F32 => 0, GgufType.F16 => 1, GgufType.Q4_0 => 2, _ => 7 };

    /// <summary>The type a tensor is stored in: 1-D stay F32; see the class summary.</summary>
    public static GgufType TypeFor(string ggufName, long[] hfShape, GgufType requested)
    {
        if (hfShape.Length < 2 || requested == GgufType.F32) return GgufType.F32;
        if (requested == GgufType.F16) return GgufType.F16;
        if (hfShape[^1] % GgufQuant.BlockSize != 0) return GgufType.F16;
        return requested == GgufType.Q4_0 && ggufName == "output.weight" ? GgufType.Q8_0 : requested;
    }

    /// <summary>Writes the file (see <see cref="GgufWriter.Write"/>: complete or absent); returns the vocabulary it holds.</summary>
    public static GgufVocab Write(HfCheckpoint ck, string path, GgufType type, string? name = null, Action<int, int>? tensorWritten = null,
        CancellationToken ct = default)
    {
        var c = ck.Config;
        var arch = c.ModelType;
        var w = new GgufWriter();
        w.String("general.architecture", arch);
        var vocab = GgufVocab.FromTokenizerJson(ck.TokenizerJson, c.VocabSize, c.ModelType);
        w.String("general.name", GeneralName(name ?? Path.GetFileName(ck.Folder), vocab));
        w.UInt32("general.file_type", FileType(type));
        if (type is GgufType.Q8_0 or GgufType.Q4_0) w.UInt32("general.quantization_version", 2);
        w.UInt32($"{arch}.context_length", (uint)c.MaxPositionEmbeddings);
        w.UInt32($"{arch}.embedding_length", (uint)c.HiddenSize);
        w.UInt32($"{arch}.block_count", (uint)c.NumLayers);
        w.UInt32($"{arch}.feed_forward_length", (uint)c.IntermediateSize);
        w.UInt32($"{arch}.attention.head_count", (uint)c.NumHeads);
        w.UInt32($"{arch}.attention.head_count_kv", (uint)c.NumKvHeads);
        w.Float32($"{arch}.attention.layer_norm_rms_epsilon", (float)c.RmsNormEps);
        w.Float32($"{arch}.rope.freq_base", (float)c.RopeTheta);
        w.UInt32($"{arch}.rope.dimension_count", (uint)c.HeadDim);
        if (arch == "llama") w.UInt32("llama.vocab_size", (uint)c.VocabSize);
        WriteTokenizer(w, ck, vocab);

        var tensors = new List<(string Gguf, string Hf)>();
        foreach (var hf in ck.Names)
            if (GgufTensorNames.Map(hf) is { } g) tensors.Add((g, hf));
            else throw new NotSupportedException($"Tensor '{hf}' has no llama.cpp counterpart.");
        // phi3's graph in llama.cpp always reads output.weight; qwen2 and llama reuse token_embd when it is absent.
        if (!ck.Has("lm_head.weight") && arch == "phi3") tensors.Add(("output.weight", "model.embed_tokens.weight"));
        foreach (var (g, hf) in tensors)
        {
            var shape = ck.Shape(hf);
            var t = TypeFor(g, shape, type);
            w.Tensor(g, shape.Reverse().ToArray(), t, s => WriteTensor(s, ck, hf, g, t));
        }
        if (arch == "llama" && c.RopeScaling is not null)
        {
            var factors = RopeFactors(c);
            w.Tensor("rope_freqs.weight", [factors.Length], GgufType.F32, s => s.Write(GgufQuant.Encode(GgufType.F32, factors)));
        }
        w.Write(path, tensorWritten, ct);
        return vocab;
    }

    /// <summary>Llama 3's RoPE scaling as llama.cpp takes it: per frequency, the divisor from θ^(-2i/d) to the scaled frequency.</summary>
    public static float[] RopeFactors(ModelConfig c)
    {
        var plain = Blocks.RopeInverseFrequencies(c.HeadDim, c.RopeTheta, null);
        var scaled = Blocks.RopeInverseFrequencies(c.HeadDim, c.RopeTheta, c.RopeScaling);
        return plain.Select((f, i) => f / scaled[i]).ToArray();
    }

    static void WriteTensor(Stream s, HfCheckpoint ck, string hf, string gguf, GgufType type)
    {
        using var scope = NewDisposeScope();
        var t = ck.Read(hf);
        var c = ck.Config;
        if (c.ModelType == "llama" && (gguf.Contains(".attn_q.") || gguf.Contains(".attn_k.")))
            t = GgufTensorNames.PermuteForPairwiseRope(t, gguf.Contains(".attn_q.") ? c.NumHeads : c.NumKvHeads);
        var values = MemoryMarshal.Cast<byte, float>(t.bytes);
        if (type == GgufType.F32) s.Write(t.bytes);
        else s.Write(GgufQuant.Encode(type, values));
    }

    /// <summary>
    /// llama.cpp gives a model whose general.name contains "phi3" or "phi-3" Phi-3's SentencePiece token attributes
    /// (looking up "&lt;/s&gt;", which fails to load a byte-level vocabulary without it, and right-stripping spaces after
    /// special tokens, which the HF tokenizer does not do); such a name is shortened to "phi" unless the vocab is Phi-3's.
    /// </summary>
    static string GeneralName(string name, GgufVocab vocab) =>
        vocab.Tokens.Contains("</s>") ? name : System.Text.RegularExpressions.Regex.Replace(name, "phi-?3", "phi", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    static void WriteTokenizer(GgufWriter w, HfCheckpoint ck, GgufVocab vocab)
    {
        w.String("tokenizer.ggml.model", "gpt2");
        w.String("tokenizer.ggml.pre", vocab.Pre);
        w.Strings("tokenizer.ggml.tokens", vocab.Tokens);
        w.Int32s("tokenizer.ggml.token_type", vocab.Types);
        w.Strings("tokenizer.ggml.merges", vocab.Merges);
        var ids = SpecialIds(ck, vocab);
        if (ids.Bos is int bos) w.UInt32("tokenizer.ggml.bos_token_id", (uint)bos);
        if (ids.Eos is int eos) w.UInt32("tokenizer.ggml.eos_token_id", (uint)eos);
        if (ids.Pad is int pad) w.UInt32("tokenizer.ggml.padding_token_id", (uint)pad);
        w.Bool("tokenizer.ggml.add_bos_token", AddsBos(ck));
        w.Bool("tokenizer.ggml.add_eos_token", false);
        if (ChatTemplate(ck.TokenizerConfig) is { } template) w.String("tokenizer.chat_template", template);
    }

    public static (int? Bos, int? Eos, int? Pad) SpecialIds(HfCheckpoint ck, GgufVocab vocab)
    {
        int? Id(string key)
        {
            var text = ck.TokenizerConfig[key] switch { JsonValue v => v.GetValue<string>(), JsonObject o => o["content"]?.GetValue<string>(), _ => null };
            if (text is null) return null;
            for (var i = 0; i < vocab.Tokens.Count; i++)
                if (vocab.Types[i] != GgufVocab.Normal && vocab.Tokens[i] == text) return i;
            return null;
        }
        var c = ck.Config;
        return (Id("bos_token") ?? c.BosTokenId, Id("eos_token") ?? (c.EosTokenIds.Count > 0 ? c.EosTokenIds[0] : null), Id("pad_token"));
    }

    /// <summary>Whether the HF tokenizer prepends bos: tokenizer_config's add_bos_token, else a bos in the post-processor's template.</summary>
    static bool AddsBos(HfCheckpoint ck)
    {
        if (ck.TokenizerConfig["add_bos_token"] is JsonValue v) return v.GetValue<bool>();
        var single = ck.TokenizerJson["post_processor"]?["single"]?.AsArray();
        var bos = ck.TokenizerConfig["bos_token"]?.ToString();
        return single?.Any(x => x?["SpecialToken"]?["id"]?.GetValue<string>() == bos) == true;
    }

    /// <summary>tokenizer_config.json's chat_template: the string, or the "default" of a list of named templates.</summary>
    public static string? ChatTemplate(JsonObject tokenizerConfig) => tokenizerConfig["chat_template"] switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray a => a.FirstOrDefault(x => x?["name"]?.GetValue<string>() == "default")?["template"]?.GetValue<string>(),
        _ => null,
    };
}
