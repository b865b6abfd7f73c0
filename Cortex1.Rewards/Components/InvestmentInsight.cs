using Cortex1.Rewards.Text;

namespace Cortex1.Rewards.Components;

/// <summary>
/// Actionable recommendations: a bullet that starts with an action, with a quantity (size or
/// price), a target or horizon, and a stated risk. Three good ones for full credit.
/// </summary>
internal static class InvestmentInsight
{
    private static readonly string[] Actions =
        ["buy", "sell", "hold", "accumulate", "reduce", "trim", "hedge", "rebalance", "allocate", "enter", "exit",
         "avoid", "wait", "increase", "decrease", "long", "short", "add", "take", "set", "scale", "rotate", "maintain"];
    private static readonly string[] RecommendationSections = ["recommend", "mitigation", "action", "opportunit", "strateg"];

    public static ComponentScore Score(Analysis a)
    {
        var scores = new List<double>();
        int withQty = 0, withRisk = 0;
        var sentences = a.Doc.Sentences;
        for (int i = 0; i < sentences.Count; i++)
        {
            var s = sentences[i];
            if (s.IsHeading) continue;
            bool inSection = a.InSection(s, RecommendationSections);
            if (!(StartsWithAction(s.Lower) && (s.StartsBullet || inSection)) && !(s.StartsBullet && inSection && HasActionEarly(s.Lower)))
                continue;
            // A recommendation runs to the end of its line: "Buy ETH: 5% at $1,745. Stop-loss $1,580. Risk: …"
            var topics = s.Topics;
            bool number = s.Numbers.Count > 0;
            int j = i + 1;
            for (; j < sentences.Count && sentences[j].Line == s.Line; j++)
            {
                topics |= sentences[j].Topics;
                number |= sentences[j].Numbers.Count > 0;
            }
            i = j - 1;
            bool target = (topics & Topic.Target) != 0, risk = (topics & Topic.StatedRisk) != 0;
            withQty += number ? 1 : 0;
            withRisk += risk ? 1 : 0;
            scores.Add(0.25 + 0.3 * (number ? 1 : 0) + 0.2 * (target ? 1 : 0) + 0.25 * (risk ? 1 : 0));
        }
        if (scores.Count == 0) return Scoring.Result(0, "no actionable recommendations (bullets starting with Buy/Sell/Hold/…)");
        double count = scores.Count switch { 1 => 0.6, 2 => 0.85, _ => 1.0 };
        return Scoring.Result(Scoring.MeanOfBest(scores, 3) * count,
            $"{scores.Count} recommendation(s): {withQty} with quantities, {withRisk} with stated risks");
    }

    private static bool StartsWithAction(string lower)
    {
        var span = lower.AsSpan().TrimStart("*_ ");
        foreach (var verb in Actions)
            if (span.StartsWith(verb, StringComparison.Ordinal) && (span.Length == verb.Length || !char.IsLetter(span[verb.Length])))
                return true;
        return false;
    }

    private static bool HasActionEarly(string lower)
    {
        var head = lower.AsSpan(0, Math.Min(40, lower.Length));
        foreach (var verb in Actions)
            if (head.Contains(verb, StringComparison.Ordinal)) return true;
        return false;
    }
}
