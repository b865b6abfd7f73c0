using Cortex1.Rewards.Text;

namespace Cortex1.Rewards.Components;

/// <summary>
/// <c>90% CI: [a, b], point estimate p</c>: a stated level (50–99.9%), lower &lt; upper, the point
/// inside, and a plausible width on the data's scale. Two intervals for full credit.
/// </summary>
internal static class ConfidenceIntervals
{
    private static readonly string[] Markers = ["% ci", "%ci", "% confidence interval", "% prediction interval", "% interval"];
    private static readonly string[] PointWords = ["point estimate", "central estimate", "estimate", "expected", "base case", "midpoint", "median"];

    public static ComponentScore Score(Analysis a)
    {
        var scores = new List<double>();
        string? problem = null;
        foreach (var i in a.Intervals)
        {
            scores.Add(i.Score);
            if (i.Issue is not null) problem ??= i.Issue;
        }
        if (scores.Count == 0) return Scoring.Result(0, "no confidence intervals (write '90% CI: [a, b], point estimate p')");
        double quality = Scoring.MeanOfBest(scores, 3);
        double count = scores.Count >= 2 ? 1 : 0.7;
        var note = $"{scores.Count} interval(s), mean quality {quality:0.00}";
        return Scoring.Result(quality * count, problem is null ? note : $"{note}; {problem}");
    }

    /// <summary>Every distinct interval of the text, read once (the truth gate checks their scale too).</summary>
    internal static List<IntervalCheck> Read(Analysis a)
    {
        var found = new List<IntervalCheck>();
        var seen = new HashSet<(double, double)>();
        foreach (var s in a.Doc.Sentences)
        {
            int marker = FindMarker(s.Lower);
            if (marker < 0) continue;
            var one = ScoreOne(a, s, marker, out var issue);
            if (one is null) continue;
            if (!seen.Add(one.Value.Bounds)) continue;
            found.Add(new IntervalCheck(one.Value.Score, issue, one.Value.OffScale));
        }
        return found;
    }

    private static int FindMarker(string lower)
    {
        foreach (var m in Markers)
        {
            int i = lower.IndexOf(m, StringComparison.Ordinal);
            if (i >= 0) return i + 1; // position just after the '%'
        }
        return -1;
    }

    private static (double Score, (double, double) Bounds, bool OffScale)? ScoreOne(Analysis a, Sentence s, int afterPercent, out string? issue)
    {
        issue = null;
        int levelIndex = -1;
        for (int k = 0; k < s.Numbers.Count; k++)
            if (s.Numbers[k].IsPercent && s.Numbers[k].End <= afterPercent + 1) levelIndex = k;
        if (levelIndex < 0 || levelIndex + 2 >= s.Numbers.Count) { issue = "interval without a level or two bounds"; return null; }
        double level = s.Numbers[levelIndex].Value;
        var lo = s.Numbers[levelIndex + 1];
        var hi = s.Numbers[levelIndex + 2];
        if (lo.Value >= hi.Value) { issue = "lower bound not below upper bound"; return (0, (lo.Value, hi.Value), false); }

        NumberToken? point = null;
        foreach (var w in PointWords)
        {
            int at = s.Lower.IndexOf(w, StringComparison.Ordinal);
            if (at < 0) continue;
            foreach (var n in s.Numbers)
                if (n.Start > at) { point = n; break; }
            if (point is not null) break;
        }
        if (point is null && levelIndex > 0) point = s.Numbers[levelIndex - 1];

        bool levelOk = level is >= 0.5 and < 1.0;
        bool inside = point is { } p && p.Value >= lo.Value && p.Value <= hi.Value;
        double centre = point?.Value ?? (lo.Value + hi.Value) / 2;
        bool percent = lo.IsPercent || hi.IsPercent;
        // A price-like interval nowhere near any last value of the data forecasts a different market.
        // (A centre at or below zero — a correlation, a return — is implausible as a price but says nothing false.)
        bool offScale = !percent && centre > 0 && !a.Facts.OnLatestScale(centre, 3);
        bool plausible = percent
            ? hi.Value - lo.Value is >= 0.002 and <= 1.5
            : centre > 0 && !offScale && (hi.Value - lo.Value) / centre is >= 0.005 and <= 1.0;
        if (!levelOk) issue = "level outside 50–99.9%";
        else if (point is null) issue = "no point estimate";
        else if (!inside) issue = "point estimate outside the interval";
        else if (!plausible) issue = "implausible width or scale";
        return (0.25 + 0.25 * (levelOk ? 1 : 0) + 0.25 * (inside ? 1 : 0) + 0.25 * (plausible ? 1 : 0), (lo.Value, hi.Value), offScale);
    }
}

/// <summary>One interval as read: its quality score, the first problem found, and whether its centre is off the data's scale.</summary>
internal readonly record struct IntervalCheck(double Score, string? Issue, bool OffScale);
