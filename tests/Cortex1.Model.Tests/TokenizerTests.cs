using System.Text;
using System.Text.Json.Nodes;
using Cortex1.Model.Generation;
using Cortex1.Model.Tokenization;

namespace Cortex1.Model.Tests;

public class TokenizerTests
{
    const string Mixed = "<|im_start|>user<|im_sep|>Héllo, wörld — 市场 📈 price 42.5%!\n<|im_end|>";

    [Fact]
    public void Phi3TokenizerIsCl100kWithPhi4Specials()
    {
        var tok = TextTokenizer.Load(TinyModels.Folder("phi3"));
        Assert.Equal([15339, 1917], tok.Encode("hello world"));          // cl100k's ids
        var ids = tok.Encode(Mixed);
        Assert.Equal(100264, ids[0]);
        Assert.Equal(100266, ids[2]);
        Assert.Equal(100265, ids[^1]);
        Assert.Equal(Mixed, tok.Decode(ids));
        Assert.Contains(100265, tok.EosTokenIds);
        Assert.Equal(100257, tok.BosTokenId);
    }

    [Fact]
    public void SpecialTextIsPlainWhenNotAllowed()
    {
        var tok = TextTokenizer.Load(TinyModels.Folder("phi3"));
        var ids = tok.Encode("<|im_end|>", allowSpecial: false);
        Assert.True(ids.Length > 1);
        Assert.DoesNotContain(100265, ids);
        Assert.Equal("<|im_end|>", tok.Decode(ids));
    }

    [Theory]
    [InlineData("qwen2", "<｜User｜>")]
    [InlineData("llama", "<|start_header_id|>")]
    public void BpeTokenizerRoundTripsSpecialsAndNonAscii(string family, string marker)
    {
        var tok = TextTokenizer.Load(TinyModels.Folder(family));
        var text = marker + "The market rose; Ünïcödé 市场 📈 and  two  spaces\n\n" + marker;
        var ids = tok.Encode(text);
        Assert.Equal(tok.TokenId(marker), ids[0]);
        Assert.Equal(tok.TokenId(marker), ids[^1]);
        Assert.Equal(text, tok.Decode(ids));
        // The trained merges are used: common words become fewer tokens than bytes.
        Assert.True(tok.Encode("the market").Length < "the market".Length);
    }

    [Fact]
    public void BothMergeFormatsGiveTheSameTokenizer()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyModels.Folder("llama"), "tokenizer.json")))!.AsObject();
        var pairs = TextTokenizer.FromJson(json, null, null, []);
        var merges = json["model"]!["merges"]!.AsArray();
        json["model"]!["merges"] = new JsonArray(merges.Select(m => (JsonNode)(m![0]!.GetValue<string>() + " " + m[1]!.GetValue<string>())).ToArray());
        var strings = TextTokenizer.FromJson(json, null, null, []);
        const string text = "Liquidity holds while the price falls back to support.";
        Assert.Equal(pairs.Encode(text), strings.Encode(text));
    }

    [Fact]
    public void IncrementalDecoderNeverSplitsUtf8()
    {
        var tok = TextTokenizer.Load(TinyModels.Folder("qwen2"));
        const string text = "a📈b市场ü";
        var ids = tok.Encode(text);
        Assert.True(ids.Length > text.Length / 2);   // byte-level pieces: the emoji spans several tokens
        var dec = new IncrementalDecoder(tok);
        var deltas = ids.Select(dec.Add).Append(dec.Flush()).ToList();
        Assert.Equal(text, string.Concat(deltas));
        Assert.All(deltas, d => Assert.DoesNotContain('\uFFFD', d));
        Assert.Contains(deltas, d => d.Length == 0);   // some tokens held back partial characters
    }
}
