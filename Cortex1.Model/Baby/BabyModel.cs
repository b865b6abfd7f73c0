using System.Text.Json;
using System.Text.Json.Nodes;
using Cortex1.Model.Chat;
using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using Cortex1.Model.Tokenization;
using static TorchSharp.torch;

namespace Cortex1.Model.Baby;

/// <summary>
/// The baby model's shape: a small Llama (RMSNorm, RoPE, SwiGLU, tied embeddings) sized so that pretraining from
/// scratch fits in minutes on a laptop CPU. It is trained on Synth's compact prompts (a chat of ~1.6k of its tokens);
/// the context is long enough for a standard prompt too (three 30-day tables and a report: ~4k–5k tokens).
/// </summary>
public sealed record BabyShape(int Hidden = 128, int Layers = 4, int Heads = 4, int KvHeads = 4, int Intermediate = 384,
    int VocabSize = 4096, int Context = 8192, double RopeTheta = 10000)
{
    /// <summary>The config.json of this shape over a tokenizer of <paramref name="tokens"/> entries.</summary>
    public ModelConfig Config(int tokens, int bos, int eos) => new()
    {
        ModelType = "llama",
        HiddenSize = Hidden,
        NumLayers = Layers,
        NumHeads = Heads,
        NumKvHeads = KvHeads,
        IntermediateSize = Intermediate,
        VocabSize = (tokens + 63) / 64 * 64,
        RopeTheta = RopeTheta,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = true,
        MaxPositionEmbeddings = Context,
        BosTokenId = bos,
        EosTokenIds = [eos],
        TorchDType = "float32",
    };
}

/// <summary>
/// Writes the baby model as a normal Hugging Face folder: config.json, model.safetensors, tokenizer.json (a byte-level
/// BPE learned from the corpus with Llama 3's special tokens), tokenizer_config.json (Llama 3's chat template) and
/// generation_config.json. The weights come from the Trainer's pretraining; this class knows the format only.
/// </summary>
public static class BabyModel
{
    public const string Name = "cortex1-baby";

    public const string BeginOfText = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";
    public const string EndOfTurn = "<|eot_id|>";
    /// <summary>
    /// cl100k's split (Llama 3's), so llama.cpp runs the exported tokenizer as its "llama-bpe" pre-tokenizer: a GGUF of
    /// the baby tokenizes like us in llama.cpp, Ollama and LM Studio.
    /// </summary>
    public const string Pattern = TextTokenizer.Cl100kPattern;

    static readonly string[] Specials = [BeginOfText, EndOfText, "<|start_header_id|>", "<|end_header_id|>", EndOfTurn];

    /// <summary>
    /// A tokenizer.json learned from <paramref name="corpus"/>: 256 byte tokens, merges up to about
    /// <paramref name="vocabSize"/> entries, then the special tokens. Pre-tokenizer: <see cref="Pattern"/>.
    /// </summary>
    public static JsonObject TrainTokenizer(IEnumerable<string> corpus, int vocabSize)
    {
        var merges = vocabSize - 256 - Specials.Length;
        if (merges < 0) throw new ArgumentOutOfRangeException(nameof(vocabSize), $"A byte-level tokenizer needs at least {256 + Specials.Length} entries.");
        // Special tokens are cut out of the texts first: they are added tokens, never learned from.
        var plain = corpus.Select(t => Specials.Aggregate(t, (s, special) => s.Replace(special, "\n", StringComparison.Ordinal)));
        return TinyTokenizers.BpeJson(plain, Pattern, nfc: false, pairMerges: true, [.. Specials.Select(s => (s, true))], merges).Json;
    }

    /// <summary>Entries of a tokenizer.json (vocab + added tokens).</summary>
    public static int TokenCount(JsonObject tokenizer) =>
        tokenizer["model"]!["vocab"]!.AsObject().Count + tokenizer["added_tokens"]!.AsArray().Count;

    /// <summary>The id of a special token in a tokenizer.json.</summary>
    public static int SpecialId(JsonObject tokenizer, string content) =>
        tokenizer["added_tokens"]!.AsArray().Single(t => t!["content"]!.GetValue<string>() == content)!["id"]!.GetValue<int>();

    /// <summary>The config this shape and tokenizer give.</summary>
    public static ModelConfig Config(BabyShape shape, JsonObject tokenizer) =>
        shape.Config(TokenCount(tokenizer), SpecialId(tokenizer, BeginOfText), SpecialId(tokenizer, EndOfTurn));

    /// <summary>A baby model folder's tokenizer.json and the shape its config.json gives (to continue training it).</summary>
    public static (JsonObject Tokenizer, BabyShape Shape) ReadFolder(string folder)
    {
        var tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer.json")))!.AsObject();
        var c = ModelConfig.Load(folder);
        if (c.ModelType != "llama" || !c.TieWordEmbeddings) throw new InvalidDataException($"{folder} is not a baby model (a llama with tied embeddings).");
        return (tokenizer, new BabyShape(c.HiddenSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.IntermediateSize, TokenCount(tokenizer), c.MaxPositionEmbeddings, c.RopeTheta));
    }

    /// <summary>The chat template the corpus is rendered in and the served model answers in.</summary>
    public static IChatTemplate ChatTemplate { get; } = new Llama3ChatTemplate(BeginOfText);

    /// <summary>A tokenizer over the tokenizer.json, as the engine will load it.</summary>
    public static TextTokenizer Tokenizer(JsonObject tokenizer) =>
        TextTokenizer.FromJson(tokenizer, BeginOfText, EndOfTurn, [SpecialId(tokenizer, EndOfText)]);

    /// <summary>Writes the folder (config, tokenizer files, generation config and the weights in HF names, [out, in]).</summary>
    public static void Write(string folder, ModelConfig config, JsonObject tokenizer, IReadOnlyList<(string Name, Tensor Tensor)> weights)
    {
        Directory.CreateDirectory(folder);
        var indent = new JsonSerializerOptions { WriteIndented = true };
        SafeTensors.WriteModel(folder, weights);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString());
        var tokenizerConfig = new JsonObject
        {
            ["bos_token"] = BeginOfText, ["eos_token"] = EndOfTurn, ["model_max_length"] = config.MaxPositionEmbeddings,
            ["tokenizer_class"] = "PreTrainedTokenizerFast", ["chat_template"] = ChatTemplates.Llama3Jinja,
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), tokenizerConfig.ToJsonString(indent));
        var generation = new JsonObject
        {
            ["bos_token_id"] = SpecialId(tokenizer, BeginOfText),
            ["eos_token_id"] = new JsonArray(SpecialId(tokenizer, EndOfTurn), SpecialId(tokenizer, EndOfText)),
        };
        File.WriteAllText(Path.Combine(folder, "generation_config.json"), generation.ToJsonString(indent));
    }
}

/// <summary>
/// The pretrained baby model shipped inside this assembly (<c>Baby/cortex1-baby/</c>, a few MB of fp32 weights): the model
/// Inference serves and training runs start from when nothing else is configured, so both use the same weights.
/// </summary>
public static class EmbeddedBaby
{
    const string Prefix = "cortex1-baby/";

    /// <summary>Whether this build carries the weights.</summary>
    public static bool Available => typeof(EmbeddedBaby).Assembly.GetManifestResourceNames().Any(n => n == Prefix + "config.json");

    /// <summary>The embedded model as a HF folder under <paramref name="cacheFolder"/>, written on first use (beside it, then renamed into place).</summary>
    public static string Folder(string cacheFolder)
    {
        var assembly = typeof(EmbeddedBaby).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        if (!names.Contains(Prefix + "config.json"))
            throw new InvalidOperationException($"This build carries no {BabyModel.Name} weights; pretrain one (`Cortex1.Trainer -- pretrain`) and use models/{BabyModel.Name}.");
        // Named by the weights' size and module version, so a build with other weights never reuses a stale copy.
        using (var weights = assembly.GetManifestResourceStream(Prefix + "model.safetensors")!)
        {
            var folder = Path.Combine(Path.GetFullPath(cacheFolder), "models", $"{BabyModel.Name}-{weights.Length:x}-{assembly.ManifestModule.ModuleVersionId.ToString("N")[..8]}");
            if (File.Exists(Path.Combine(folder, "config.json"))) return folder;
            var staging = $"{folder}.partial-{Guid.NewGuid():N}";
            Directory.CreateDirectory(staging);
            try
            {
                // config.json last: a folder with it is complete.
                foreach (var name in names.OrderBy(n => n == Prefix + "config.json"))
                {
                    using var source = assembly.GetManifestResourceStream(name)!;
                    using var target = File.Create(Path.Combine(staging, name[Prefix.Length..]));
                    source.CopyTo(target);
                }
                try
                {
                    Directory.Move(staging, folder);
                }
                catch (IOException) when (File.Exists(Path.Combine(folder, "config.json")))
                {
                    // Another process extracted it first.
                }
            }
            finally
            {
                if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            }
            return folder;
        }
    }
}
