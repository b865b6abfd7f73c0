namespace Cortex1.Rewards.Components;

/// <summary>
/// Recomputed calculations: a wrong one scores 0 and weighs double against the rest; one whose
/// numbers are not derivable from the data earns nothing. Full credit needs three verified
/// calculations (cited values and prose figures count a quarter each, one calculation at most).
/// </summary>
internal static class CalculationAccuracy
{
    public static ComponentScore Score(Analysis a)
    {
        int eqOk = 0, eqNo = 0, otherOk = 0, otherNo = 0, wrong = 0;
        string? firstProblem = null;
        foreach (var c in a.Claims)
        {
            bool eq = c.Kind == ClaimKind.Equation;
            switch (c.Verdict)
            {
                case Verdict.Verified: if (eq) eqOk++; else otherOk++; break;
                case Verdict.Ungrounded: if (eq) eqNo++; else otherNo++; firstProblem ??= c.Note; break;
                case Verdict.Wrong: wrong++; firstProblem = wrong == 1 ? c.Note : firstProblem; break;
            }
        }
        if (eqOk + eqNo + otherOk + otherNo + wrong == 0)
            return Scoring.Result(0, "no calculations or checkable figures found");
        double verified = eqOk + 0.5 * otherOk;
        double precision = verified / (verified + eqNo + 0.5 * otherNo + 2.0 * wrong);
        // Copied figures can stand in for at most one calculation: a data dump is not analysis.
        double volume = Scoring.Enough(eqOk + Math.Min(1, 0.25 * otherOk), 3);
        var note = $"{eqOk} calculations verified, {wrong} wrong, {eqNo} not derivable; {otherOk} figures verified, {otherNo} not derivable";
        return Scoring.Result(precision * volume, firstProblem is null ? note : $"{note}; e.g. {firstProblem}");
    }
}
