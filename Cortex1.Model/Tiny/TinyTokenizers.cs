using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cortex1.Model.Tokenization;

namespace Cortex1.Model.Tiny;

/// <summary>The tokenizer.json files TinyModel writes: phi3 = cl100k + phi-4's added tokens; qwen2/llama = a small
/// byte-level BPE trained here on a built-in text, with DeepSeek-R1's or Llama 3's special tokens.</summary>
internal static class TinyTokenizers
{
    public const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>phi-4's added tokens: ids 100256-100351, named tokens among &lt;|dummy_N|&gt; fillers.</summary>
    public static List<(int Id, string Content)> Phi4AddedTokens()
    {
        var named = new Dictionary<int, string>
        {
            [100257] = "<|endoftext|>", [100258] = "<|fim_prefix|>", [100259] = "<|fim_middle|>", [100260] = "<|fim_suffix|>",
            [100264] = "<|im_start|>", [100265] = "<|im_end|>", [100266] = "<|im_sep|>", [100276] = "<|endofprompt|>",
        };
        var list = new List<(int, string)>();
        var dummy = 0;
        for (var id = 100256; id < 100352; id++) list.Add((id, named.TryGetValue(id, out var n) ? n : $"<|dummy_{dummy++}|>"));
        return list;
    }

    public static JsonObject Phi4Json() => new()
    {
        ["version"] = "1.0",
        ["added_tokens"] = AddedJson(Phi4AddedTokens().Select(t => (t.Id, t.Content, true))),
        ["normalizer"] = null,
        ["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = TextTokenizer.Cl100kPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
        },
        ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
        // Not an HF model type: it names the encoding TextTokenizer builds with TiktokenTokenizer, keeping the file small.
        ["model"] = new JsonObject { ["type"] = "Tiktoken", ["encoding"] = "cl100k_base" },
    };

    /// <summary>A byte-level BPE tokenizer.json: 256 byte tokens + `merges` merges learned from the built-in text, then added tokens.</summary>
    public static (JsonObject Json, int VocabSize) BpeJson(string pattern, bool nfc, bool pairMerges, IReadOnlyList<(string Content, bool Special)> added, int merges = 300) =>
        BpeJson([Corpus], pattern, nfc, pairMerges, added, merges);

    /// <summary>The same tokenizer.json, its merges learned from <paramref name="corpus"/> (the baby model's own texts).</summary>
    public static (JsonObject Json, int VocabSize) BpeJson(IEnumerable<string> corpus, string pattern, bool nfc, bool pairMerges, IReadOnlyList<(string Content, bool Special)> added, int merges)
    {
        var (vocab, mergeList) = TrainBpe(corpus, pattern, merges);
        var addedList = added.Select((a, i) => (vocab.Count + i, a.Content, a.Special)).ToList();
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = AddedJson(addedList),
            ["normalizer"] = nfc ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = new JsonObject(vocab.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["merges"] = new JsonArray(mergeList.Select(m => pairMerges ? (JsonNode)new JsonArray(m.A, m.B) : m.A + " " + m.B).ToArray()),
            },
        };
        return (json, vocab.Count + addedList.Count);
    }

    static JsonArray AddedJson(IEnumerable<(int Id, string Content, bool Special)> tokens) =>
        new(tokens.Select(t => (JsonNode)new JsonObject
        {
            ["id"] = t.Id, ["content"] = t.Content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = t.Special,
        }).ToArray());

    const string Corpus =
        "The market opened higher as traders weighed the latest on-chain data. Bitcoin and Ethereum led the rally, " +
        "while stablecoin volumes on Solana and Arbitrum rose. Analysts think the trend will continue if liquidity " +
        "holds; the risk is that funding rates turn negative and the price falls back to support. Total value locked " +
        "in lending protocols increased, and the number of active addresses reached a new high this week. " +
        "Let's reason step by step: volume, volatility, correlation, and the opportunity in the data. 12345 67890.";

    /// <summary>Classic BPE training (Sennrich et al.) over the corpus's pre-tokenized words, in byte-level spelling.</summary>
    static (Dictionary<string, int> Vocab, List<(string A, string B)> Merges) TrainBpe(IEnumerable<string> corpus, string pattern, int count)
    {
        var vocab = new Dictionary<string, int>();
        foreach (var c in ByteLevel.ByteToChar) vocab[c.ToString()] = vocab.Count;
        var regex = new Regex(pattern, RegexOptions.Compiled);
        var words = corpus.SelectMany(text => regex.Matches(text)).Select(m => ByteLevel.Encode(Encoding.UTF8.GetBytes(m.Value)))
            .GroupBy(w => w).Select(g => (Parts: g.Key.Select(ch => ch.ToString()).ToList(), Count: g.Count()))
            .Where(w => w.Parts.Count > 1).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < count)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (parts, n) in words)
                for (var i = 0; i + 1 < parts.Count; i++) pairs[(parts[i], parts[i + 1])] = pairs.GetValueOrDefault((parts[i], parts[i + 1])) + n;
            if (pairs.Count == 0) break;
            // The most frequent pair, ties to the ordinally smallest: one pass, as a corpus of thousands of reports has many pairs.
            var best = pairs.First().Key;
            var bestCount = 0;
            foreach (var (pair, n) in pairs)
            {
                var order = n != bestCount ? n.CompareTo(bestCount)
                    : string.CompareOrdinal(best.Item1, pair.Item1) is var a and not 0 ? a : string.CompareOrdinal(best.Item2, pair.Item2);
                if (order > 0) (best, bestCount) = (pair, n);
            }
            merges.Add(best);
            vocab.TryAdd(best.Item1 + best.Item2, vocab.Count);
            foreach (var (parts, _) in words)
                for (var i = 0; i + 1 < parts.Count; i++)
                    if (parts[i] == best.Item1 && parts[i + 1] == best.Item2) { parts[i] += parts[i + 1]; parts.RemoveAt(i + 1); }
        }
        return (vocab, merges);
    }
}
