using Cortex1.Rewards.Components;
using Cortex1.Rewards.Text;

namespace Cortex1.Rewards.Truth;

/// <summary>What the truth gate counted in one completion: verified claims and the weighted false evidence.</summary>
internal readonly record struct TruthTally(int Verified, int Wrong, int Invented, int UngroundedCalculations, int UngroundedFigures);

/// <summary>
/// The factor the whole composite is multiplied by so that being wrong never pays: every checkable
/// claim is counted as verified or false, and once the weighted share of false evidence passes a
/// tolerance the factor falls linearly to a floor. The form components (structure, citations,
/// intervals) reward how a report looks; without this, a well-formatted report with every number
/// wrong outscores a short one that is right.
/// </summary>
internal static class TruthGate
{
    public static (double Factor, string Explanation) Evaluate(Analysis a, RewardWeights w)
    {
        var t = Count(a);
        double bad = w.TruthWrongClaim * t.Wrong + w.TruthInventedMetric * t.Invented
            + w.TruthUngroundedCalculation * t.UngroundedCalculations + w.TruthUngroundedFigure * t.UngroundedFigures;
        if (bad <= 0) return (1, "none");
        double falsity = bad / (Math.Min(t.Verified, w.TruthVerifiedCap) + bad);
        double fall = Scoring.Clamp01((falsity - w.TruthTolerance) / (w.TruthFloorAt - w.TruthTolerance));
        double factor = 1 - (1 - w.TruthFloor) * fall;
        var note = $"{t.Verified} verified, {t.Wrong} wrong, {t.Invented} invented metrics, {t.UngroundedCalculations} calculations and " +
                   $"{t.UngroundedFigures} figures not in the data: {falsity * 100:0}% false";
        return (factor, factor >= 0.9995 ? $"{note} (tolerated)" : $"{note} ×{factor:0.00}");
    }

    public static TruthTally Count(Analysis a)
    {
        int verified = 0, wrong = 0, invented = 0, calculations = 0, figures = 0;
        foreach (var c in a.Claims)
            switch (c.Verdict)
            {
                case Verdict.Verified: verified++; break;
                case Verdict.Wrong: wrong++; break;
                case Verdict.Ungrounded when c.Kind == ClaimKind.Equation: calculations++; break;
                case Verdict.Ungrounded: figures++; break;
            }
        foreach (var s in a.Doc.Sentences)
        {
            if (s.IsHeading) continue;
            foreach (var c in s.Citations)
                if (!a.Facts.MetricNames.Contains(c.Name)) invented++;
            if (s.Dates.Count == 1) Dated(a, s, ref verified, ref wrong, ref figures);
        }
        foreach (var i in a.Intervals)
            if (i.OffScale) wrong++;
        return new TruthTally(verified, wrong, invented, calculations, figures);
    }

    /// <summary>
    /// A value on a day of the data: right when that day has it; wrong only when nothing in the data
    /// gives it (a figure of the window next to the day it ends is not a contradiction). Ranges with
    /// two dates are not read.
    /// </summary>
    private static void Dated(Analysis a, Sentence s, ref int verified, ref int wrong, ref int figures)
    {
        var day = s.Dates[0].Day;
        if (!a.Facts.HasDay(day)) return;
        bool any = false, derivable = false;
        foreach (var n in s.Numbers)
        {
            if (n.IsSmallConstant) continue;
            any = true;
            if (a.Facts.DayHas(day, n.Value, n.Tolerance) || a.Facts.DayHas(day, -n.Value, n.Tolerance)) { verified++; return; }
            derivable |= a.Facts.Derivable(n.Value, n.Tolerance) || a.Facts.Derivable(-n.Value, n.Tolerance);
        }
        if (!any) return;
        if (derivable) figures++; else wrong++;
    }
}
