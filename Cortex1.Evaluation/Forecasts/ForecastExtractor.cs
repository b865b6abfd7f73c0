using Cortex1.Rewards.Text;

namespace Cortex1.Evaluation.Forecasts;

/// <summary>
/// Finds every forecast an answer states, read with the reward system's sentence and number parser (so <c>$2,950</c>,
/// <c>-4.5%</c>, <c>$3.4k</c>, <c>1.2B</c> read the same everywhere). A sentence is a forecast when it sits in a
/// forecast/outlook section, or elsewhere says so (<c>forecast</c>, <c>expect</c>, <c>90% CI</c>…), and names a horizon.
/// Recommendation, risk, calculation and data sections are not read: their targets and stops are trades, not forecasts
/// (the backtest reads those). Intervals need a stated level; a forecast the same bounds and horizon repeat is kept once.
/// </summary>
public static class ForecastExtractor
{
    private static readonly string[] ForecastSections = ["forecast", "outlook", "prediction", "projection", "price target", "expectation"];
    private static readonly string[] SkippedSections = ["recommend", "mitigation", "risk", "calculation", "market data", "action", "strateg"];
    private static readonly string[] Markers = ["forecast", "predict", "expect", "project", "point estimate", "% ci", "%ci", "interval", "% range", "outlook", "likely to"];
    /// <summary>Outside a forecast section these mark a sentence about what happened, not what will.</summary>
    private static readonly string[] PastWords = [" past ", "last ", " ago", "previous", " since ", " was ", " were ", " closed ", " fell ", " rose "];
    private static readonly string[] LevelWords = ["ci", "confidence", "prediction interval", "interval", "range", "credible", "band", "probability", "chance"];
    private static readonly string[] PointWords =
        ["point estimate", "central estimate", "base case", "median", "expected", "expect", "estimate", "forecast", "target", "to reach", "reach", "at about", "around", "to"];
    private static readonly string[] UpWords = ["rise", "rally", "gain", "increase", "climb", "higher", "upside", "bullish", "advance", "appreciate", "up"];
    private static readonly string[] DownWords = ["fall", "decline", "drop", "lower", "downside", "bearish", "slide", "dip", "lose", "sell-off", "down"];

    /// <summary>The forecasts of <paramref name="answer"/>; a forecast naming no asset is about <paramref name="defaultAsset"/>.</summary>
    public static IReadOnlyList<Forecast> Extract(string answer, string defaultAsset, IReadOnlyCollection<string>? chains = null)
    {
        var doc = Document.Parse(answer);
        var list = new List<Forecast>();
        foreach (var s in doc.Sentences)
        {
            if (s.IsHeading) continue;
            var section = s.Section >= 0 ? doc.Headings[s.Section] : "";
            if (SkippedSections.Any(section.Contains)) continue;
            bool inForecastSection = ForecastSections.Any(section.Contains);
            if (!inForecastSection && (!Markers.Any(s.Lower.Contains) || PastWords.Any(($" {s.Lower}").Contains))) continue;
            if (Read(s, defaultAsset, chains) is { } f) Merge(list, f);
        }
        return list;
    }

    /// <summary>
    /// A forecast stated twice (a summary repeating the forecast section's interval) counts once; the statement with
    /// more in it (a point estimate besides the interval) is the one kept.
    /// </summary>
    private static void Merge(List<Forecast> list, Forecast f)
    {
        for (int i = 0; i < list.Count; i++)
        {
            var g = list[i];
            if (g.Asset != f.Asset || g.HorizonDays != f.HorizonDays || g.Unit != f.Unit) continue;
            bool sameInterval = f.HasInterval && g.HasInterval && g.Lower == f.Lower && g.Upper == f.Upper && g.Level == f.Level;
            bool samePoint = !f.HasInterval && !g.HasInterval && g.Point == f.Point && g.Stated == f.Stated;
            if (!sameInterval && !samePoint) continue;
            if (g.Point is null && f.Point is not null) list[i] = f;
            return;
        }
        list.Add(f);
    }

    private static Forecast? Read(Sentence s, string defaultAsset, IReadOnlyCollection<string>? chains)
    {
        var horizons = Horizons.Find(s.Text);
        if (horizons.Count == 0) return null;
        var horizon = horizons[0];
        // Numbers that are part of a horizon ("7 days") or a sample size are not forecast values.
        var numbers = s.Numbers.Where(n => !horizons.Any(h => n.Start < h.End && n.End > h.Start)).ToList();

        int level = LevelIndex(s, numbers);
        (int Lo, int Hi)? bounds = level >= 0 ? BoundsNear(s, numbers, level) : null;
        var used = new HashSet<int>();
        if (level >= 0) used.Add(level);
        if (bounds is { } b) { used.Add(b.Lo); used.Add(b.Hi); }

        int point = PointIndex(s, numbers, used);
        var direction = StatedDirection(s.Lower);
        if (bounds is null && point < 0 && direction is null) return null;
        if (bounds is { } bb && numbers[bb.Lo].IsPercent != numbers[bb.Hi].IsPercent) bounds = null;

        bool percent = bounds is { } p ? numbers[p.Lo].IsPercent : point >= 0 && numbers[point].IsPercent;
        if (bounds is not null && point >= 0 && numbers[point].IsPercent != percent) point = -1;
        var unit = percent ? ForecastUnit.Return : ForecastUnit.Price;
        double? value = point >= 0 ? numbers[point].Value : null;
        // "fall 5%" and "a 5% decline" state the sign in words.
        if (value is > 0 && percent && direction == Direction.Down && !IsSigned(s.Text, numbers[point])) value = -value;

        var assets = Assets.Mentioned(s.Text, chains);
        var asset = assets.Count > 0 ? assets[0] : defaultAsset;
        double? lower = null, upper = null, lvl = null;
        if (bounds is { } q)
        {
            (lower, upper) = (Math.Min(numbers[q.Lo].Value, numbers[q.Hi].Value), Math.Max(numbers[q.Lo].Value, numbers[q.Hi].Value));
            lvl = Math.Round(numbers[level].Value, 6);   // 95 × 0.01 is 0.9500000000000001
        }
        if (value is null && lower is null && direction is null) return null;
        return new Forecast(asset, horizon.Days, unit, value, lower, upper, lvl, direction, s.Text);
    }

    /// <summary>A percent in (50 %, 100 %) followed by a level word: "90% CI", "80% confidence", "a 95% range".</summary>
    private static int LevelIndex(Sentence s, List<NumberToken> numbers)
    {
        for (int k = 0; k < numbers.Count; k++)
        {
            var n = numbers[k];
            if (!n.IsPercent || n.Value is < 0.5 or >= 1) continue;
            var after = s.Lower.AsSpan(n.End, Math.Min(25, s.Lower.Length - n.End)).TrimStart(" -:(");
            foreach (var w in LevelWords)
                if (after.StartsWith(w, StringComparison.Ordinal)) return k;
            // "(90% confidence)" after the bounds, or "with 90% confidence"
            var before = s.Lower.AsSpan(0, n.Start).TrimEnd(" (");
            if (before.EndsWith("with", StringComparison.Ordinal) || before.EndsWith("at", StringComparison.Ordinal) && after.StartsWith("confidence", StringComparison.Ordinal))
                return k;
        }
        return -1;
    }

    /// <summary>Two numbers joined by a range word ("[a, b]", "a–b", "a to b", "between a and b"), right after the level or right before it.</summary>
    private static (int, int)? BoundsNear(Sentence s, List<NumberToken> numbers, int level)
    {
        for (int k = level + 1; k + 1 < numbers.Count && k <= level + 2; k++)
            if (Joined(s.Text, numbers[k], numbers[k + 1])) return (k, k + 1);
        if (level >= 2 && Joined(s.Text, numbers[level - 2], numbers[level - 1])) return (level - 2, level - 1);
        return null;
    }

    private static bool Joined(string text, NumberToken a, NumberToken b)
    {
        if (b.Start < a.End) return false;
        var gap = text.AsSpan(a.End, b.Start - a.End).Trim(" $[]()").ToString().ToLowerInvariant();
        return gap is "," or "-" or "–" or "—" or "to" or "and" or ".." or "..." or "/" or "- " or "−" or "through";
    }

    /// <summary>The number right after a point word ("point estimate $3,210", "to reach $3,200"); else, with no interval, the only value there is.</summary>
    private static int PointIndex(Sentence s, List<NumberToken> numbers, HashSet<int> used)
    {
        foreach (var w in PointWords)
        {
            for (int at = s.Lower.IndexOf(w, StringComparison.Ordinal); at >= 0; at = s.Lower.IndexOf(w, at + 1, StringComparison.Ordinal))
            {
                if (at > 0 && char.IsLetter(s.Lower[at - 1])) continue;
                int end = at + w.Length;
                if (end < s.Lower.Length && char.IsLetter(s.Lower[end])) continue;
                for (int k = 0; k < numbers.Count; k++)
                {
                    if (used.Contains(k) || numbers[k].Start < end) continue;
                    // close to the word: "point estimate $3,210", "to reach about $3,200" (not a number a clause later)
                    var gap = s.Lower.AsSpan(end, numbers[k].Start - end).Trim(" :$(~≈");
                    if (gap.Length <= 12 && !gap.Contains(',') && !gap.Contains(';')) return k;
                    break;
                }
            }
        }
        var free = Enumerable.Range(0, numbers.Count).Where(k => !used.Contains(k) && !(numbers[k].IsPlainInteger && Math.Abs(numbers[k].Value) <= 400)).ToList();
        return used.Count == 0 && free.Count == 1 ? free[0] : -1;
    }

    private static Direction? StatedDirection(string lower)
    {
        bool up = UpWords.Any(w => HasWord(lower, w)), down = DownWords.Any(w => HasWord(lower, w));
        return up == down ? null : up ? Direction.Up : Direction.Down;
    }

    private static bool HasWord(string lower, string w)
    {
        for (int at = lower.IndexOf(w, StringComparison.Ordinal); at >= 0; at = lower.IndexOf(w, at + 1, StringComparison.Ordinal))
        {
            bool start = at == 0 || !char.IsLetter(lower[at - 1]);
            int end = at + w.Length;
            // stems: "rises", "declined", "gaining"; but not "upper" for "up" nor "download" for "down"
            bool stop = end == lower.Length || !char.IsLetter(lower[end]) || (w.Length > 3 && lower[end] is 's' or 'e' or 'd' or 'i');
            if (start && stop && !(w == "up" && lower.AsSpan(end).StartsWith(" to", StringComparison.Ordinal))) return true;
        }
        return false;
    }

    private static bool IsSigned(string text, NumberToken n) => n.Start < text.Length && NumberScanner.IsMinus(text[n.Start]) || text[n.Start] == '+';
}
