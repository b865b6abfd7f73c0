using Cortex1.Rewards.Text;

namespace Cortex1.Rewards.Components;

/// <summary>
/// Coverage of the five aspects of an analysis. An aspect is covered by two sentences about it,
/// one of them with a number or citation; a passing mention earns half.
/// </summary>
internal static class Completeness
{
    private static readonly (string Name, Topic Topic)[] Aspects =
    [
        ("transactions", Topic.Transactions), ("users", Topic.Users), ("technical", Topic.Technical),
        ("risk", Topic.Risk), ("investment", Topic.Investment),
    ];

    public static ComponentScore Score(Analysis a)
    {
        double total = 0;
        var missing = new List<string>();
        foreach (var (name, topic) in Aspects)
        {
            int mentions = 0;
            bool evidence = false;
            foreach (var s in a.Doc.Sentences)
            {
                if (s.IsHeading || !s.Has(topic)) continue;
                mentions++;
                evidence |= s.HasEvidence;
                if (mentions >= 2 && evidence) break;
            }
            double covered = mentions >= 2 && evidence ? 1 : mentions > 0 ? 0.5 : 0;
            if (covered < 1) missing.Add(covered == 0 ? name : name + " (thin)");
            total += covered;
        }
        return Scoring.Result(total / Aspects.Length,
            missing.Count == 0 ? "covers transactions, users, technical, risk and investment" : $"lacking: {string.Join(", ", missing)}");
    }
}
