namespace Cortex1.Rewards.Components;

/// <summary>
/// Share of the available metrics cited (citing half of them, at least three, is full coverage),
/// with a quarter of the score for cited values that are then used in verified arithmetic.
/// </summary>
internal static class MetricCitation
{
    public static ComponentScore Score(Analysis a)
    {
        var available = a.Facts.MetricNames;
        if (available.Count == 0) return Scoring.Result(0, "the context has no metrics");
        var cited = new HashSet<string>(StringComparer.Ordinal);
        var usedInArithmetic = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in a.Doc.Sentences)
            foreach (var c in s.Citations)
            {
                if (!available.Contains(c.Name)) continue;
                cited.Add(c.Name);
                if (c.Number >= 0 && UsedInArithmetic(a, s.Numbers[c.Number])) usedInArithmetic.Add(c.Name);
            }
        double wanted = Math.Max(3, Math.Ceiling(available.Count * 0.5));
        double coverage = Scoring.Enough(cited.Count, Math.Min(wanted, available.Count));
        double arithmetic = Scoring.Enough(usedInArithmetic.Count, 2);
        return Scoring.Result(0.75 * coverage + 0.25 * arithmetic,
            $"{cited.Count} of {available.Count} available metrics cited, {usedInArithmetic.Count} used in calculations");
    }

    private static bool UsedInArithmetic(Analysis a, Text.NumberToken n)
    {
        foreach (var v in a.ArithmeticOperands)
            if (Math.Abs(v - n.Value) <= n.Tolerance) return true;
        return false;
    }
}
