using System.Text;
using Cortex1.Model.Tokenization;

namespace Cortex1.Model.Generation;

/// <summary>Turns generated token ids into text deltas that never split a UTF-8 character: bytes of an incomplete
/// character wait for the next token. Flush() emits what is left (invalid bytes as U+FFFD).</summary>
public sealed class IncrementalDecoder(TextTokenizer tokenizer, bool skipSpecial = false)
{
    readonly List<byte> _pending = [];

    public string Add(int token)
    {
        if (skipSpecial && tokenizer.IsSpecial(token)) return "";
        _pending.AddRange(tokenizer.TokenBytes(token));
        var complete = CompletePrefixLength(_pending);
        if (complete == 0) return "";
        var text = Encoding.UTF8.GetString(_pending.GetRange(0, complete).ToArray());
        _pending.RemoveRange(0, complete);
        return text;
    }

    public string Flush()
    {
        var text = Encoding.UTF8.GetString(_pending.ToArray());
        _pending.Clear();
        return text;
    }

    /// <summary>Bytes up to the start of a trailing incomplete multi-byte sequence (a lead byte still missing continuations).</summary>
    static int CompletePrefixLength(List<byte> b)
    {
        var n = b.Count;
        for (var back = 1; back <= Math.Min(3, n); back++)
        {
            var c = b[n - back];
            if ((c & 0xC0) == 0x80) continue;               // continuation byte: look further back for the lead
            var need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            return back < need ? n - back : n;
        }
        return n;
    }
}
