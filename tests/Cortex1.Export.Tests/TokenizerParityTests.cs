using Cortex1.Model.Tokenization;
using Xunit.Abstractions;

namespace Cortex1.Export.Tests;

/// <summary>llama.cpp, reading only the exported GGUF's vocabulary, merges and pre-tokenizer name, splits a mixed text
/// (numbers, $, %, accents, CJK, emoji, newlines, chat markers) into the very ids our tokenizer gives.</summary>
public sealed class TokenizerParityTests(ITestOutputHelper output)
{
    const string Body = "BTC +3.7% → $64,250.00 (vs. 1234567 yesterday); naïve café, 日本語 and 🚀🚀!\n\n  It's 100%   up\ttoday's";

    public static TheoryData<string, string> Texts => new()
    {
        { "phi3", $"<|im_start|>user<|im_sep|>{Body}<|im_end|><|im_start|>assistant<|im_sep|>" },
        { "qwen2", $"<｜begin▁of▁sentence｜><｜User｜>{Body}<｜Assistant｜><think>\nok</think> {Body}<｜end▁of▁sentence｜>" },
        { "llama", $"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{Body}<|eot_id|>" },
        { Exports.Baby, $"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{Body}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n## Summary\nETH closed at $1,745.01 [close_usd], 6.31% [price_growth_7d].<|eot_id|>" },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void LlamaCppTokenizesTheExportLikeUs(string family, string text)
    {
        var folder = Exports.Tiny(family);
        var ours = TextTokenizer.Load(folder).Encode(text);
        using var cpp = new LlamaCpp(Exports.Gguf(folder, "q8_0"));
        var theirs = cpp.Tokenize(text);
        output.WriteLine($"{family}: {ours.Length} tokens");
        Assert.Equal(ours, theirs);
        Assert.Equal(Exports.Architecture(family), cpp.Metadata("general.architecture"));
        Assert.Equal(family switch { "phi3" => "dbrx", "qwen2" => "qwen2", _ => "llama-bpe" }, cpp.Metadata("tokenizer.ggml.pre"));
        Assert.Contains(family switch { "phi3" => "<|im_sep|>", "qwen2" => "<｜Assistant｜>", _ => "<|start_header_id|>" }, cpp.Metadata("tokenizer.chat_template"));
    }
}
