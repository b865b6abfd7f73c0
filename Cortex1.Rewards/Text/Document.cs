namespace Cortex1.Rewards.Text;

/// <summary>
/// A completion read once into sentences, headings and tokens, shared by every component.
/// Repeated sentences are kept once (repetition must never add evidence) and counted, so the
/// anti-hacking guard can penalise them.
/// </summary>
internal sealed class Document
{
    public List<Sentence> Sentences { get; } = [];
    /// <summary>Normalised heading texts (lower case, no numbering or markup), in order.</summary>
    public List<string> Headings { get; } = [];
    public int Chars { get; private set; }
    /// <summary>Sentences before de-duplication (long ones only: short fragments may repeat honestly).</summary>
    public int LongSentences { get; private set; }
    public int DuplicateSentences { get; private set; }
    public int Words { get; private set; }
    public int GarbageWords { get; private set; }
    public int OddChars { get; private set; }

    public static Document Parse(string text)
    {
        var doc = new Document { Chars = text.Length };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int section = -1, lineNo = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNo++;
            var line = rawLine.Trim();
            if (line.IsEmpty || IsRule(line)) continue;
            doc.CountWords(line);
            if (TryHeading(line, out var heading))
            {
                doc.Headings.Add(heading);
                section = doc.Headings.Count - 1;
                doc.Sentences.Add(Tokenize(new Sentence(heading, lineNo, section, isHeading: true, startsBullet: false)));
                continue;
            }
            bool bullet = StripBullet(ref line);
            bool first = true;
            foreach (var part in SplitSentences(line.ToString()))
            {
                var sentence = new Sentence(part, lineNo, section, isHeading: false, startsBullet: bullet && first);
                if (part.Length >= 20)
                {
                    doc.LongSentences++;
                    if (!seen.Add(sentence.Lower)) { doc.DuplicateSentences++; continue; }
                }
                sentence.MatchTopics();
                doc.Sentences.Add(Tokenize(sentence));
                first = false;
            }
        }
        return doc;
    }

    private static bool IsRule(ReadOnlySpan<char> line)
    {
        foreach (var c in line)
            if (c is not ('-' or '|' or ':' or ' ' or '=' or '*' or '_')) return false;
        return true;
    }

    private static bool TryHeading(ReadOnlySpan<char> line, out string heading)
    {
        heading = "";
        bool marked = false;
        if (line[0] == '#') { line = line.TrimStart('#'); marked = true; }
        else if (line.Length > 4 && line.StartsWith("**") && (line.EndsWith("**") || line.EndsWith("**:")))
        {
            var inner = line.Trim('*').TrimEnd(':').TrimEnd('*');
            if (inner.Contains("**", StringComparison.Ordinal)) return false;
            line = inner;
            marked = true;
        }
        else if (line.Length < 40 && line[^1] == ':' && char.IsUpper(line[0]) && !line.ContainsAny("0123456789[") && WordCount(line) <= 4)
            marked = true;
        if (!marked) return false;
        line = line.Trim().Trim('*').TrimEnd(':').Trim();
        // Strip numbering: "3.", "3)", "III.", "Step 3:".
        int i = 0;
        while (i < line.Length && (char.IsAsciiDigit(line[i]) || line[i] is 'I' or 'V' or 'X')) i++;
        if (i > 0 && i < line.Length && line[i] is '.' or ')' or ':') line = line[(i + 1)..].Trim();
        if (line.IsEmpty || WordCount(line) > 8) return false;
        heading = line.ToString().ToLowerInvariant();
        return true;
    }

    private static int WordCount(ReadOnlySpan<char> s)
    {
        int n = 0; bool inWord = false;
        foreach (var c in s) { bool w = !char.IsWhiteSpace(c); if (w && !inWord) n++; inWord = w; }
        return n;
    }

    private static bool StripBullet(ref ReadOnlySpan<char> line)
    {
        if (line.Length > 2 && line[0] is '-' or '*' or '•' or '+' && line[1] == ' ') { line = line[2..].TrimStart(); return true; }
        int i = 0;
        while (i < line.Length && i < 3 && char.IsAsciiDigit(line[i])) i++;
        if (i > 0 && i + 1 < line.Length && line[i] is '.' or ')' && line[i + 1] == ' ') { line = line[(i + 2)..].TrimStart(); return true; }
        return false;
    }

    /// <summary>Splits at ". ", "! ", "? " and "; " (a decimal point is never followed by a space).</summary>
    private static IEnumerable<string> SplitSentences(string line)
    {
        int start = 0;
        for (int i = 0; i < line.Length - 1; i++)
        {
            char c = line[i];
            if (c is '.' or '!' or '?' or ';' && line[i + 1] == ' ' && !IsAbbreviation(line, i))
            {
                var part = line[start..(i + 1)].Trim();
                if (part.Length > 1) yield return part;
                start = i + 2;
            }
        }
        var last = line[start..].Trim();
        if (last.Length > 1) yield return last;
    }

    private static bool IsAbbreviation(string s, int dot) =>
        s[dot] == '.' && (EndsWithWord(s, dot, "vs") || EndsWithWord(s, dot, "e.g") || EndsWithWord(s, dot, "i.e") || EndsWithWord(s, dot, "approx"));

    private static bool EndsWithWord(string s, int end, string word) =>
        end >= word.Length && string.CompareOrdinal(s, end - word.Length, word, 0, word.Length) == 0
        && (end == word.Length || !char.IsLetter(s[end - word.Length - 1]));

    private void CountWords(ReadOnlySpan<char> line)
    {
        int i = 0;
        while (i < line.Length)
        {
            char c = line[i];
            if (char.IsLetter(c))
            {
                int start = i;
                bool vowel = false;
                while (i < line.Length && char.IsLetter(line[i])) { vowel |= IsVowel(line[i]); i++; }
                int len = i - start;
                Words++;
                // Words are vowel-free only when they are acronyms (BTC, ETH, USD): allow short upper-case ones.
                bool acronym = len <= 5 && char.IsUpper(line[start]);
                if (len > 25 || (!vowel && len >= 3 && !acronym)) GarbageWords++;
            }
            else
            {
                if (!char.IsAsciiLetterOrDigit(c) && !char.IsWhiteSpace(c) && !IsUsualSymbol(c)) OddChars++;
                i++;
            }
        }
    }

    private static bool IsVowel(char c) => (c | 0x20) is 'a' or 'e' or 'i' or 'o' or 'u' or 'y';

    private static bool IsUsualSymbol(char c) =>
        c is '.' or ',' or ';' or ':' or '!' or '?' or '\'' or '"' or '(' or ')' or '[' or ']' or '-' or '+' or '*' or '/'
            or '=' or '%' or '$' or '#' or '|' or '_' or '&' or '<' or '>' or '~' or '`'
            or '×' or '÷' or '√' or '−' or '–' or '—' or '→' or '≈' or '≥' or '≤' or '±' or '·' or '•' or '’' or '“' or '”' or 'σ' or 'ρ' or 'Δ';

    private static Sentence Tokenize(Sentence s)
    {
        var t = s.Text;
        int i = 0;
        while (i < t.Length)
        {
            char c = t[i];
            if (c == '[')
            {
                int close = t.IndexOf(']', i + 1);
                if (close < 0) { i++; continue; }
                var inner = t.AsSpan(i + 1, close - i - 1);
                if (IsMetricName(inner)) { s.Citations.Add(new CitationToken(inner.ToString(), i, close + 1, -1)); i = close + 1; continue; }
                bool link = close + 1 < t.Length && t[close + 1] == '(';
                if (!link && inner.Length is > 0 and <= 40 && !inner.Contains(',') && (inner.IndexOfAnyInRange('0', '9') < 0 || IsAllDigits(inner)))
                {
                    s.MalformedCitations++;
                    i = close + 1;
                    continue;
                }
                i++;
            }
            else if (char.IsAsciiDigit(c))
            {
                if (NumberScanner.TryReadDate(t, i, out var date)) { s.Dates.Add(date); i = date.End; continue; }
                if (NumberScanner.TryRead(t, i, out var n, out var end)) s.Numbers.Add(n);
                i = Math.Max(end, i + 1);
            }
            else i++;
        }
        for (int k = 0; k < s.Citations.Count; k++)
        {
            var cit = s.Citations[k];
            s.Citations[k] = cit with { Number = BoundNumber(s, cit) };
        }
        return s;
    }

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    public static bool IsMetricName(ReadOnlySpan<char> s)
    {
        if (s.Length is < 2 or > 64 || !char.IsAsciiLetterLower(s[0])) return false;
        bool underscore = false;
        foreach (var c in s)
        {
            if (c == '_') underscore = true;
            else if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c)) return false;
        }
        return underscore; // metric names are snake_case; a bare word in brackets is prose
    }

    /// <summary>The number a citation sources: the one right before it, else the one right after it.</summary>
    private static int BoundNumber(Sentence s, CitationToken cit)
    {
        var t = s.Text;
        for (int k = s.Numbers.Count - 1; k >= 0; k--)
        {
            var n = s.Numbers[k];
            if (n.End > cit.Start) continue;
            var gap = t.AsSpan(n.End, cit.Start - n.End).Trim(" \t()*:,");
            if (gap.IsEmpty || gap is "USD" or "ETH" or "BTC" or "SOL" or "NEAR" or "per day" or "/day") return k;
            break;
        }
        for (int k = 0; k < s.Numbers.Count; k++)
        {
            var n = s.Numbers[k];
            if (n.Start < cit.End) continue;
            var gap = t.AsSpan(cit.End, n.Start - cit.End).Trim(" \t()*:=,$");
            if (gap.IsEmpty || gap is "of" or "at" or "was" or "is" or "was at" or "stood at" or "reached" or "of about") return k;
            break;
        }
        return -1;
    }
}
