using Cortex1.Rewards.Components;
using Cortex1.Rewards.Text;

namespace Cortex1.Rewards.AntiHacking;

/// <summary>
/// The multiplier applied to the composite so that gaming the components does not pay: repeated
/// sentences, filler, citation spam, garbage, texts too short to be an analysis and texts past the
/// scored length. Each factor is 1 for an honest report.
/// </summary>
internal static class HackingGuard
{
    /// <summary>Below this many characters a text cannot hold the required sections.</summary>
    public const int MinChars = 400;

    public static (double Factor, string Explanation) Evaluate(Analysis a, int originalChars)
    {
        var doc = a.Doc;
        var notes = new List<string>(4);
        double factor = 1;

        Apply(ref factor, notes, Scoring.Enough(originalChars, MinChars), "too short");
        if (originalChars > RewardSystem.MaxScoredChars)
            Apply(ref factor, notes, 1 - 0.25 * Scoring.Enough(originalChars - RewardSystem.MaxScoredChars, RewardSystem.MaxScoredChars),
                $"over {RewardSystem.MaxScoredChars} chars (rest not read)");

        if (doc.DuplicateSentences > 0)
        {
            double unique = (double)(doc.LongSentences - doc.DuplicateSentences) / doc.LongSentences;
            Apply(ref factor, notes, Math.Pow(unique, 1.5), $"{doc.DuplicateSentences} repeated sentences");
        }

        if (doc.Words == 0) Apply(ref factor, notes, 0, "no words");
        else
        {
            double garbage = (double)doc.GarbageWords / doc.Words + 2.0 * doc.OddChars / Math.Max(1, doc.Chars);
            Apply(ref factor, notes, 1 - Scoring.Clamp01((garbage - 0.05) / 0.25), "garbage tokens");
        }

        int body = 0, filler = 0, citations = 0, unbound = 0, crowded = 0;
        foreach (var s in doc.Sentences)
        {
            if (s.IsHeading) continue;
            body++;
            if (!HasSubstance(s)) filler++;
            citations += s.Citations.Count + s.MalformedCitations;
            foreach (var c in s.Citations) if (c.Number < 0) unbound++;
            unbound += s.MalformedCitations;
            if (s.Citations.Count > 4) crowded++;
        }
        if (body > 0)
            Apply(ref factor, notes, 1 - 0.7 * Scoring.Clamp01(((double)filler / body - 0.4) / 0.6), "filler sentences");
        if (citations >= 6)
        {
            double spam = (double)(unbound + 2 * crowded) / citations;
            Apply(ref factor, notes, 1 - 0.8 * Scoring.Clamp01((spam - 0.5) / 0.5), "citation spam");
        }
        return (factor, notes.Count == 0 ? "none" : string.Join("; ", notes));
    }

    /// <summary>A citation, a number that is not a mere count, or a domain term: a sentence that says something.</summary>
    private static bool HasSubstance(Sentence s)
    {
        if (s.Citations.Count > 0 || s.Has(Topic.Domain)) return true;
        foreach (var n in s.Numbers) if (!n.IsSmallConstant) return true;
        return false;
    }

    private static void Apply(ref double factor, List<string> notes, double f, string why)
    {
        if (f >= 0.999) return;
        factor *= f;
        notes.Add($"{why} ×{f:0.00}");
    }
}
