using System.Text;
using System.Text.Json.Nodes;
using Cortex1.Model.Tokenization;

namespace Cortex1.Model.Export;

/// <summary>
/// A byte-level BPE tokenizer as llama.cpp's "gpt2" tokenizer model wants it: every id's token (vocabulary entries in
/// their byte-level spelling, added tokens as plain text, "[PADn]" up to the model's vocab size), each id's type,
/// the merges in priority order, and the pre-tokenizer name (`tokenizer.ggml.pre`) whose regex is ours.
/// </summary>
public sealed record GgufVocab(IReadOnlyList<string> Tokens, IReadOnlyList<int> Types, IReadOnlyList<string> Merges, string Pre)
{
    // llama_token_type values (llama.cpp's llama-vocab.h).
    public const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;

    /// <summary>llama.cpp's pre-tokenizer names for the split regexes our tokenizers use (llama-vocab.cpp).</summary>
    static string PreFor(string pattern, string modelType) => pattern switch
    {
        // cl100k's regex: Llama 3's tokenizer ("llama-bpe"); phi-4 uses cl100k itself, which llama.cpp calls "dbrx".
        TextTokenizer.Cl100kPattern => modelType == "llama" ? "llama-bpe" : "dbrx",
        Tiny.TinyTokenizers.QwenPattern => "qwen2",
        _ => throw new NotSupportedException($"No llama.cpp pre-tokenizer is known for the split pattern '{pattern}'."),
    };

    /// <summary>Builds the vocabulary from a tokenizer.json, padded to <paramref name="vocabSize"/> ids.</summary>
    public static GgufVocab FromTokenizerJson(JsonObject json, int vocabSize, string modelType)
    {
        var model = json["model"]?.AsObject() ?? throw new InvalidDataException("tokenizer.json has no model.");
        var tokens = new Dictionary<int, (string Text, int Type)>();
        List<string> merges;
        string pattern;
        if (model["type"]?.GetValue<string>() == "Tiktoken")
        {
            var (cl100kTokens, cl100kMerges) = Cl100k.Value;
            for (var i = 0; i < cl100kTokens.Length; i++) tokens[i] = (cl100kTokens[i], Normal);
            merges = cl100kMerges;
            pattern = TextTokenizer.Cl100kPattern;
        }
        else
        {
            foreach (var (text, id) in model["vocab"]!.AsObject()) tokens[id!.GetValue<int>()] = (text, Normal);
            merges = model["merges"]!.AsArray().Select(m => m switch
            {
                JsonArray pair => pair[0]!.GetValue<string>() + " " + pair[1]!.GetValue<string>(),
                _ => m!.GetValue<string>(),
            }).ToList();
            pattern = TextTokenizer.FindSplitPattern(json["pre_tokenizer"]) ?? throw new NotSupportedException("tokenizer.json has no Split pre-tokenizer regex.");
        }
        foreach (var t in json["added_tokens"]?.AsArray() ?? [])
        {
            var special = t!["special"]?.GetValue<bool>() ?? true;
            tokens[t["id"]!.GetValue<int>()] = (t["content"]!.GetValue<string>(), special ? Control : UserDefined);
        }
        var count = Math.Max(vocabSize, tokens.Keys.Max() + 1);
        var texts = new string[count];
        var types = new int[count];
        for (var i = 0; i < count; i++)
            (texts[i], types[i]) = tokens.TryGetValue(i, out var t) ? t : ($"[PAD{i}]", Unused);
        return new GgufVocab(texts, types, merges, PreFor(pattern, modelType));
    }

    /// <summary>
    /// cl100k's tokens in byte-level spelling, and its merges. A tiktoken encoding has ranks, not merges; the merges
    /// that rebuild it are recovered the way llama.cpp's converter does for tiktoken models (QwenModel.bpe): each token
    /// splits, under the ranks below its own, into exactly two parts. Computed once per process (~100k tokens).
    /// </summary>
    static readonly Lazy<(string[] Tokens, List<string> Merges)> Cl100k = new(() =>
    {
        var ranks = TextTokenizer.Cl100kRanks();
        var texts = new string[ranks.Max(r => r.Id) + 1];
        var rankOf = new Dictionary<string, int>(ranks.Count);
        foreach (var (b, id) in ranks) { texts[id] = ByteLevel.Encode(b); rankOf[texts[id]] = id; }
        var merges = new List<string>();
        foreach (var (b, id) in ranks.OrderBy(r => r.Id))
        {
            if (b.Length < 2) continue;
            var parts = BpeSplit(b.Select(x => ByteLevel.ByteToChar[x].ToString()).ToList(), rankOf, id);
            if (parts.Count != 2) throw new InvalidDataException($"cl100k token {id} does not split into two lower-ranked parts.");
            merges.Add(parts[0] + " " + parts[1]);
        }
        return (texts, merges);
    });

    /// <summary>BPE over `parts` using only merges whose result ranks below `maxRank`.</summary>
    static List<string> BpeSplit(List<string> parts, Dictionary<string, int> rankOf, int maxRank)
    {
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (var i = 0; i + 1 < parts.Count; i++)
                if (rankOf.TryGetValue(parts[i] + parts[i + 1], out var r) && r < maxRank && r < bestRank) { best = i; bestRank = r; }
            if (best < 0) return parts;
            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }
    }
}
