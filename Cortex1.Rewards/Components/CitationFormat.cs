namespace Cortex1.Rewards.Components;

/// <summary>
/// <c>[metric_name]</c> citations of metrics that exist in the data, each sourcing a number.
/// Malformed references and unknown metrics count against; unbound citations earn half.
/// Three distinct valid metrics for full credit.
/// </summary>
internal static class CitationFormat
{
    public static ComponentScore Score(Analysis a)
    {
        int valid = 0, unknown = 0, malformed = 0, bound = 0;
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        string? firstUnknown = null;
        foreach (var s in a.Doc.Sentences)
        {
            malformed += s.MalformedCitations;
            foreach (var c in s.Citations)
            {
                if (!a.Facts.MetricNames.Contains(c.Name)) { unknown++; firstUnknown ??= c.Name; continue; }
                valid++;
                distinct.Add(c.Name);
                if (c.Number >= 0) bound++;
            }
        }
        int total = valid + unknown + malformed;
        if (total == 0) return Scoring.Result(0, "no [metric_name] citations");
        double quality = (bound + 0.5 * (valid - bound)) / total;
        double score = quality * Scoring.Enough(distinct.Count, 3);
        var note = $"{valid}/{total} citations valid ({distinct.Count} metrics, {bound} sourcing a number), {unknown} unknown, {malformed} malformed";
        return Scoring.Result(score, firstUnknown is null ? note : $"{note}; e.g. [{firstUnknown}] is not in the data");
    }
}
