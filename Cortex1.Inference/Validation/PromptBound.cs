using System.Runtime.CompilerServices;
using System.Text;
using Cortex1.Model.Tokenization;

namespace Cortex1.Inference.Validation;

/// <summary>
/// Refuses a prompt that cannot fit the context before it is tokenised, from its length alone:
/// no token stands for more than the vocabulary's longest token (in UTF-8 bytes), so a text of B
/// bytes has at least B / longest tokens. Tokenising a prompt of hundreds of thousands of tokens
/// only to refuse it costs seconds and memory the tokenizer keeps (its caches grow); this check
/// costs one pass over the text, and whatever it lets through is at most context × longest bytes.
/// </summary>
public static class PromptBound
{
    private static readonly ConditionalWeakTable<TextTokenizer, StrongBox<int>> Longest = new();

    /// <summary>The fewest tokens <paramref name="text"/> can encode to (0 = no bound known).</summary>
    public static long MinTokens(TextTokenizer tokenizer, string text)
    {
        var longest = Longest.GetValue(tokenizer, t => new StrongBox<int>(LongestToken(t))).Value;
        if (longest == 0) return 0;
        // The tokenizer may NFC-normalise first, which can shrink or grow the text: take the smaller.
        var bytes = Math.Min(Encoding.UTF8.GetByteCount(text), Encoding.UTF8.GetByteCount(text.Normalize(NormalizationForm.FormC)));
        return (bytes + longest - 1) / longest;
    }

    /// <summary>Throws context_length_exceeded when <paramref name="text"/> cannot leave room for a completion.</summary>
    public static void Check(TextTokenizer tokenizer, string text, int contextLength, string param)
    {
        var least = MinTokens(tokenizer, text);
        if (least >= contextLength)
            throw ApiException.ContextLengthExceeded(contextLength, least, param);
    }

    private static int LongestToken(TextTokenizer tokenizer)
    {
        var longest = 0;
        for (var id = 0; id < tokenizer.VocabSize; id++)
            longest = Math.Max(longest, tokenizer.TokenBytes(id).Length);
        foreach (var added in tokenizer.AddedTokens.Keys)
            longest = Math.Max(longest, Encoding.UTF8.GetByteCount(added));
        return longest;
    }
}
