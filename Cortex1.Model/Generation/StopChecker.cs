namespace Cortex1.Model.Generation;

/// <summary>
/// Stop tokens and stop strings over streamed text. Text that could be the start of a stop string is held back, so a
/// stop string never reaches the client; when one completes, only the text before it is released.
/// </summary>
public sealed class StopChecker(IEnumerable<int> stopTokens, IEnumerable<string> stopStrings)
{
    readonly HashSet<int> _tokens = [.. stopTokens];
    readonly string[] _strings = stopStrings.Where(s => s.Length > 0).ToArray();
    string _held = "";

    public bool Stopped { get; private set; }
    public bool IsStopToken(int token) => _tokens.Contains(token);

    /// <summary>Adds decoded text; returns what may be emitted now (Stopped is set when a stop string matched).</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        var buf = _held + text;
        foreach (var s in _strings)
        {
            var i = buf.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0) { Stopped = true; _held = ""; return buf[..i]; }
        }
        var hold = 0;
        foreach (var s in _strings) hold = Math.Max(hold, HeldBack(buf, s));
        _held = buf[^hold..];
        return buf[..^hold];
    }

    /// <summary>How many characters at the end of <paramref name="text"/> could be the start of <paramref name="marker"/>
    /// (a stop string, a closing tag) and so must wait for the next delta. No allocation: this runs on every token.</summary>
    public static int HeldBack(string text, string marker)
    {
        for (var k = Math.Min(marker.Length - 1, text.Length); k > 0; k--)
            if (text.AsSpan(text.Length - k).SequenceEqual(marker.AsSpan(0, k))) return k;
        return 0;
    }

    /// <summary>Releases held text at the end of generation (it did not become a stop string).</summary>
    public string Flush() { var h = Stopped ? "" : _held; _held = ""; return h; }
}
