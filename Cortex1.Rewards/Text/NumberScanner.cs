namespace Cortex1.Rewards.Text;

/// <summary>Reads numbers as people write them in reports: <c>$1,745.01</c>, <c>-4.5%</c>, <c>1.2B</c>, <c>3.4 billion</c>.</summary>
internal static class NumberScanner
{
    public static bool IsMinus(char c) => c is '-' or '\u2212' or '\u2013';

    /// <summary>
    /// Tries to read a number whose first digit is at <paramref name="i"/>. Returns false for digits
    /// that are part of a word (<c>H1</c>), a period (<c>7d</c>, <c>30-day</c>) or an ordinal.
    /// </summary>
    public static bool TryRead(string s, int i, out NumberToken token, out int end)
    {
        token = default;
        end = i;
        if (i > 0 && (char.IsLetter(s[i - 1]) || s[i - 1] == '_')) { end = SkipWord(s, i); return false; }
        int start = i;
        // A sign belongs to the number only when it is unary: "-4.5%", "(−3.2%", not "a - b" nor "a-b".
        bool negative = false;
        if (i > 0 && (IsMinus(s[i - 1]) || s[i - 1] == '+'))
        {
            char before = i > 1 ? s[i - 2] : ' ';
            if (!char.IsLetterOrDigit(before) && before != ')' && before != '.')
            {
                negative = IsMinus(s[i - 1]);
                start = i - 1;
            }
        }
        double intPart = 0;
        int digits = 0;
        bool commas = false;
        int p = i;
        while (p < s.Length)
        {
            char c = s[p];
            if (char.IsAsciiDigit(c)) { intPart = intPart * 10 + (c - '0'); digits++; p++; }
            else if (c == ',' && digits > 0 && p + 3 < s.Length + 0 && IsThreeDigits(s, p + 1)) { commas = true; p++; }
            else break;
        }
        int decimals = 0;
        double frac = 0;
        if (p + 1 < s.Length && s[p] == '.' && char.IsAsciiDigit(s[p + 1]))
        {
            p++;
            double scale = 0.1;
            while (p < s.Length && char.IsAsciiDigit(s[p])) { frac += (s[p] - '0') * scale; scale *= 0.1; decimals++; p++; }
        }
        double shown = intPart + frac;
        double multiplier = 1;
        bool percent = false;
        int q = p;
        if (q < s.Length)
        {
            char c = s[q];
            if (c == '%') { percent = true; multiplier = 0.01; q++; }
            else if (c == '-' && q + 4 <= s.Length && string.CompareOrdinal(s, q, "-day", 0, 4) == 0) { end = q + 4; return false; }
            else if (char.IsLetter(c))
            {
                int w = SkipWord(s, q);
                var word = s.AsSpan(q, w - q);
                double m = SuffixMultiplier(word);
                if (m == 0) { end = w; return false; } // 7d, 1st, 30days, 2x…: not a value
                multiplier = m;
                q = w;
            }
            else if (c == ' ' && q + 1 < s.Length && char.IsLetter(s[q + 1]))
            {
                int w = SkipWord(s, q + 1);
                double m = WordMultiplier(s.AsSpan(q + 1, w - q - 1));
                if (m != 0) { multiplier = m; percent = m == 0.01; q = w; }
            }
        }
        double value = (negative ? -shown : shown) * multiplier;
        double halfUnit = 0.5 * Math.Pow(10, -decimals) * multiplier;
        bool plainInteger = decimals == 0 && !commas && !percent && multiplier == 1 && !(start > 0 && s[start - 1] == '$');
        token = new NumberToken(value, halfUnit, percent, plainInteger, start, q);
        end = q;
        return true;
    }

    /// <summary>Reads <c>2021-01-31</c> at <paramref name="i"/>.</summary>
    public static bool TryReadDate(string s, int i, out DateToken date)
    {
        date = default;
        if (i + 10 > s.Length || s[i + 4] != '-' || s[i + 7] != '-') return false;
        for (int k = 0; k < 10; k++)
            if (k != 4 && k != 7 && !char.IsAsciiDigit(s[i + k])) return false;
        if (i + 10 < s.Length && char.IsAsciiDigit(s[i + 10])) return false;
        int year = Digits(s, i, 4), month = Digits(s, i + 5, 2), dayOfMonth = Digits(s, i + 8, 2);
        if (year is < 1900 or > 2200 || month is < 1 or > 12 || dayOfMonth < 1 || dayOfMonth > DateTime.DaysInMonth(year, month))
            return false;
        date = new DateToken(new DateOnly(year, month, dayOfMonth), i, i + 10);
        return true;
    }

    private static int Digits(string s, int start, int count)
    {
        int v = 0;
        for (int k = start; k < start + count; k++) v = v * 10 + (s[k] - '0');
        return v;
    }

    private static bool IsThreeDigits(string s, int p) =>
        p + 3 <= s.Length && char.IsAsciiDigit(s[p]) && char.IsAsciiDigit(s[p + 1]) && char.IsAsciiDigit(s[p + 2])
        && (p + 3 == s.Length || !char.IsAsciiDigit(s[p + 3]));

    private static int SkipWord(string s, int i)
    {
        while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_')) i++;
        return i;
    }

    private static double SuffixMultiplier(ReadOnlySpan<char> w) => w switch
    {
        "k" or "K" => 1e3,
        "M" or "m" or "mn" => 1e6,
        "B" or "b" or "bn" => 1e9,
        "T" or "tn" => 1e12,
        _ => 0,
    };

    private static double WordMultiplier(ReadOnlySpan<char> w) =>
        w.Equals("thousand", StringComparison.OrdinalIgnoreCase) ? 1e3
        : w.Equals("million", StringComparison.OrdinalIgnoreCase) ? 1e6
        : w.Equals("billion", StringComparison.OrdinalIgnoreCase) ? 1e9
        : w.Equals("trillion", StringComparison.OrdinalIgnoreCase) ? 1e12
        : w.Equals("percent", StringComparison.OrdinalIgnoreCase) ? 0.01
        : 0;
}
