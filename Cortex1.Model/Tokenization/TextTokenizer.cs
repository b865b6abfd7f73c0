using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Cortex1.Model.Tokenization;

/// <summary>
/// A model's tokenizer built from its tokenizer.json: byte-level BPE through Microsoft.ML.Tokenizers' BpeTokenizer,
/// or cl100k through TiktokenTokenizer (tokenizer.json model type "Tiktoken", which TinyModel writes for phi3).
/// Added tokens (chat markers) are matched here, before the BPE sees the text, so `allowSpecial: false` encodes
/// their text as ordinary characters. Decoding goes through each token's raw bytes, so partial UTF-8 is visible to
/// <see cref="Generation.IncrementalDecoder"/>.
/// </summary>
public sealed class TextTokenizer
{
    /// <summary>cl100k's pre-tokenizer pattern (tiktoken).</summary>
    public const string Cl100kPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    /// <summary>GPT-2's pattern, used by ByteLevel pre-tokenizers with use_regex.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    readonly Tokenizer _inner;
    readonly byte[]?[] _bytes;
    readonly Dictionary<string, int> _added;
    readonly HashSet<int> _special;
    readonly Regex? _allAdded, _nonSpecialAdded;
    readonly bool _nfc;

    public IReadOnlyDictionary<string, int> AddedTokens => _added;
    public IReadOnlyList<int> EosTokenIds { get; }
    public int? BosTokenId { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }
    public int VocabSize => _bytes.Length;

    TextTokenizer(Tokenizer inner, byte[]?[] bytes, Dictionary<string, int> added, HashSet<int> special, bool nfc,
        string? bos, string? eos, IEnumerable<int> extraEos)
    {
        _inner = inner; _bytes = bytes; _added = added; _special = special; _nfc = nfc;
        static Regex? Alternation(IEnumerable<string> tokens)
        {
            var list = tokens.OrderByDescending(t => t.Length).Select(Regex.Escape).ToList();
            return list.Count == 0 ? null : new Regex(string.Join("|", list), RegexOptions.CultureInvariant);
        }
        _allAdded = Alternation(added.Keys);
        _nonSpecialAdded = Alternation(added.Where(kv => !special.Contains(kv.Value)).Select(kv => kv.Key));
        BosToken = bos; EosToken = eos;
        BosTokenId = bos is not null && added.TryGetValue(bos, out var b) ? b : null;
        var eosIds = new List<int>();
        if (eos is not null && added.TryGetValue(eos, out var e)) eosIds.Add(e);
        EosTokenIds = eosIds.Union(extraEos).ToArray();
    }

    /// <summary>Loads tokenizer.json (+ tokenizer_config.json for bos/eos) from a model folder.</summary>
    public static TextTokenizer Load(string folder, IEnumerable<int>? extraEosIds = null)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"No tokenizer.json in model folder '{folder}'.", path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        string? bos = null, eos = null;
        var cfgPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(cfgPath))
        {
            var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
            bos = TokenText(cfg["bos_token"]);
            eos = TokenText(cfg["eos_token"]);
        }
        return FromJson(json, bos, eos, extraEosIds ?? []);
    }

    static string? TokenText(JsonNode? n) => n switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonObject o => o["content"]?.GetValue<string>(),
        _ => null,
    };

    public static TextTokenizer FromJson(JsonObject json, string? bos, string? eos, IEnumerable<int> extraEosIds)
    {
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new HashSet<int>();
        foreach (var t in json["added_tokens"]?.AsArray() ?? [])
        {
            var id = t!["id"]!.GetValue<int>();
            added[t["content"]!.GetValue<string>()] = id;
            if (t["special"]?.GetValue<bool>() ?? true) special.Add(id);
        }
        var model = json["model"]?.AsObject() ?? throw new InvalidDataException("tokenizer.json has no model.");
        var type = model["type"]?.GetValue<string>();
        var nfc = json["normalizer"] is JsonObject norm && (norm["type"]?.GetValue<string>() == "NFC"
                  || (norm["normalizers"] as JsonArray)?.Any(x => x?["type"]?.GetValue<string>() == "NFC") == true);
        Tokenizer inner;
        var bytes = new List<byte[]?>();
        void Put(int id, byte[]? b) { while (bytes.Count <= id) bytes.Add(null); bytes[id] = b; }
        if (type == "Tiktoken")
        {
            var encoding = model["encoding"]?.GetValue<string>();
            if (encoding != "cl100k_base") throw new NotSupportedException($"Tiktoken encoding '{encoding}' is not supported (cl100k_base is).");
            var ranks = Cl100kRanks();
            foreach (var (b, id) in ranks) Put(id, b);
            using var stream = new MemoryStream(Encoding.ASCII.GetBytes(string.Concat(ranks.Select(r => Convert.ToBase64String(r.Bytes) + " " + r.Id + "\n"))));
            inner = TiktokenTokenizer.Create(stream, new RegexPreTokenizer(new Regex(Cl100kPattern, RegexOptions.Compiled), null), null, null);
        }
        else if (type == "BPE" || (type is null && model["merges"] is not null))
        {
            var vocab = model["vocab"]!.AsObject().Select(kv => KeyValuePair.Create(kv.Key, kv.Value!.GetValue<int>())).ToList();
            var merges = model["merges"]!.AsArray().Select(m => m switch
            {
                JsonArray pair => pair[0]!.GetValue<string>() + " " + pair[1]!.GetValue<string>(),
                _ => m!.GetValue<string>(),
            }).ToList();
            var pattern = FindSplitPattern(json["pre_tokenizer"]) ?? Gpt2Pattern;
            foreach (var (tok, id) in vocab) Put(id, ByteLevel.Decode(tok) ?? Encoding.UTF8.GetBytes(tok));
            inner = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), null),
            });
        }
        else throw new NotSupportedException($"tokenizer.json model type '{type}' is not supported (BPE or Tiktoken).");
        foreach (var (content, id) in added) Put(id, Encoding.UTF8.GetBytes(content));
        return new TextTokenizer(inner, bytes.ToArray(), added, special, nfc, bos, eos, extraEosIds);
    }

    /// <summary>The first Split pre-tokenizer's regex (Qwen2, Llama 3), searching Sequence pre-tokenizers.</summary>
    internal static string? FindSplitPattern(JsonNode? pre)
    {
        if (pre is not JsonObject o) return null;
        if (o["type"]?.GetValue<string>() == "Split" && o["pattern"]?["Regex"] is JsonValue r) return r.GetValue<string>();
        foreach (var child in o["pretokenizers"]?.AsArray() ?? [])
            if (FindSplitPattern(child) is { } p) return p;
        return null;
    }

    /// <summary>cl100k's mergeable ranks from Microsoft.ML.Tokenizers.Data.Cl100kBase (embedded, deflated "base64 rank" lines).</summary>
    public static IReadOnlyList<(byte[] Bytes, int Id)> Cl100kRanks()
    {
        var asm = Assembly.Load("Microsoft.ML.Tokenizers.Data.Cl100kBase");
        using var res = asm.GetManifestResourceStream("cl100k_base.tiktoken.deflate")
                        ?? throw new InvalidOperationException("cl100k data resource missing from Microsoft.ML.Tokenizers.Data.Cl100kBase.");
        using var reader = new StreamReader(new DeflateStream(res, CompressionMode.Decompress));
        var list = new List<(byte[], int)>(100_256);
        // Format: a "Capacity: N" line, then one base64 token per line whose rank is its line number.
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            var sp = line.IndexOf(' ');
            list.Add(sp > 0 ? (Convert.FromBase64String(line[..sp]), int.Parse(line[(sp + 1)..])) : (Convert.FromBase64String(line), list.Count));
        }
        return list;
    }

    public int[] Encode(string text, bool allowSpecial = true)
    {
        if (_nfc) text = text.Normalize(NormalizationForm.FormC);
        var ids = new List<int>();
        var splitter = allowSpecial ? _allAdded : _nonSpecialAdded;
        var pos = 0;
        if (splitter is not null)
            foreach (Match m in splitter.Matches(text))
            {
                if (m.Index > pos) ids.AddRange(_inner.EncodeToIds(text[pos..m.Index]));
                ids.Add(_added[m.Value]);
                pos = m.Index + m.Length;
            }
        if (pos < text.Length) ids.AddRange(_inner.EncodeToIds(text[pos..]));
        return ids.ToArray();
    }

    public bool IsSpecial(int id) => _special.Contains(id);

    public int? TokenId(string token) => _added.TryGetValue(token, out var id) ? id : null;

    /// <summary>The raw bytes a token stands for (a special token's text as UTF-8); empty for unknown ids.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => id >= 0 && id < _bytes.Length && _bytes[id] is { } b ? b : [];

    public string Decode(IEnumerable<int> ids, bool skipSpecial = false)
    {
        var buffer = new List<byte>();
        foreach (var id in ids)
            if (!(skipSpecial && _special.Contains(id))) buffer.AddRange(TokenBytes(id));
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
