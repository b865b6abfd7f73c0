namespace Cortex1.Rewards.Components;

/// <summary>
/// The required sections of <see cref="ReportSections.For"/>, in order: the longest in-order run
/// of required headings found, over the number required. A heading with nothing under it counts half.
/// </summary>
internal static class Structure
{
    public static ComponentScore Score(Analysis a)
    {
        var required = ReportSections.For(a.Context.Kind);
        var headings = a.Doc.Headings;
        // For each required section, the heading index that names it (first match), or -1.
        Span<int> at = stackalloc int[required.Count];
        for (int r = 0; r < required.Count; r++)
        {
            at[r] = -1;
            var name = required[r].ToLowerInvariant();
            for (int h = 0; h < headings.Count; h++)
                if (headings[h].Contains(name, StringComparison.Ordinal) || Alias(required[r], headings[h])) { at[r] = h; break; }
        }
        // Longest chain of required sections whose headings appear in increasing order (LIS, n ≤ 8).
        Span<double> best = stackalloc double[required.Count];
        double longest = 0;
        for (int r = 0; r < required.Count; r++)
        {
            if (at[r] < 0) { best[r] = 0; continue; }
            double weight = HasBody(a, at[r]) ? 1 : 0.5;
            best[r] = weight;
            for (int q = 0; q < r; q++)
                if (at[q] >= 0 && at[q] < at[r]) best[r] = Math.Max(best[r], best[q] + weight);
            longest = Math.Max(longest, best[r]);
        }
        var missing = new List<string>();
        for (int r = 0; r < required.Count; r++) if (at[r] < 0) missing.Add(required[r]);
        var note = missing.Count == 0 ? $"all {required.Count} sections" : $"missing: {string.Join(", ", missing)}";
        return Scoring.Result(longest / required.Count, $"{note}; {longest:0.#}/{required.Count} in order with content");
    }

    private static bool HasBody(Analysis a, int heading)
    {
        int words = 0;
        foreach (var s in a.Doc.Sentences)
            if (s.Section == heading && !s.IsHeading) { words += s.Text.Length / 6 + 1; if (words >= 8) return true; }
        return false;
    }

    private static bool Alias(string required, string heading) => required switch
    {
        ReportSections.Summary => heading.Contains("overview", StringComparison.Ordinal),
        ReportSections.MarketData => heading.Contains("data", StringComparison.Ordinal) || heading.Contains("key metrics", StringComparison.Ordinal),
        ReportSections.Calculations => heading.Contains("calculation", StringComparison.Ordinal),
        ReportSections.Forecast => heading.Contains("outlook", StringComparison.Ordinal) || heading.Contains("prediction", StringComparison.Ordinal),
        ReportSections.Risks => heading.StartsWith("risk", StringComparison.Ordinal),
        ReportSections.Recommendations => heading.Contains("recommendation", StringComparison.Ordinal),
        ReportSections.Opportunities => heading.Contains("opportunit", StringComparison.Ordinal),
        _ => false,
    };
}
