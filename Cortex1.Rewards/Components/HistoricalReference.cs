using Cortex1.Rewards.Text;

namespace Cortex1.Rewards.Components;

/// <summary>
/// Comparisons with earlier periods that match the data: a dated value (<c>on 2021-01-31 … $1,312.22</c>)
/// must be a value of that day; a relative one (<c>7 days ago</c>, <c>30-day high</c>) must be
/// derivable. Dated values that contradict the data count double against. Two for full credit.
/// </summary>
internal static class HistoricalReference
{
    public static ComponentScore Score(Analysis a)
    {
        int verified = 0, unverified = 0, wrong = 0;
        foreach (var s in a.Doc.Sentences)
        {
            if (s.IsHeading || s.Numbers.Count == 0) continue;
            if (s.Dates.Count > 0)
            {
                var day = s.Dates[0].Day;
                if (!a.Facts.HasDay(day)) { unverified++; continue; }
                bool match = false;
                foreach (var n in s.Numbers)
                    if (!n.IsSmallConstant && (a.Facts.DayHas(day, n.Value, n.Tolerance) || a.Facts.DayHas(day, -n.Value, n.Tolerance))) { match = true; break; }
                if (match) verified++; else wrong++;
            }
            else if (s.Has(Topic.Relative))
            {
                bool match = false;
                foreach (var n in s.Numbers)
                    if (!n.IsSmallConstant && (a.Facts.Derivable(n.Value, n.Tolerance) || a.Facts.Derivable(-n.Value, n.Tolerance))) { match = true; break; }
                if (match) verified++; else unverified++;
            }
        }
        if (verified + unverified + wrong == 0) return Scoring.Result(0, "no comparisons with earlier periods");
        double precision = verified / (verified + 0.5 * unverified + 2.0 * wrong);
        return Scoring.Result(precision * Scoring.Enough(verified, 2),
            $"{verified} historical comparisons match the data, {wrong} contradict it, {unverified} unverifiable");
    }
}
