namespace Cortex1.Rewards.Components;

/// <summary>
/// Coverage of the five aspects of an analysis. An aspect is covered by two sentences about it,
/// one of them with a number or citation; a passing mention earns half.
/// </summary>
internal static class Completeness
{
    private static readonly (string Name, string[] Words)[] Aspects =
    [
        ("transactions", ["transaction", "txn", "volume", "transfer", "turnover", "trading activity"]),
        ("users", ["user", "address", "wallet", "holder", "participant", "adoption", "demand", "liquidity", "market cap", "investor"]),
        ("technical", ["support", "resistance", "moving average", "momentum", "trend", "volatility", "breakout", "consolidat", "range"]),
        ("risk", ["risk", "downside", "drawdown", "stop-loss", "stop loss", "exposure", "invalidat"]),
        ("investment", ["allocat", "position", "portfolio", "entry", "exit", "buy", "sell", "accumulate", "target"]),
    ];

    public static ComponentScore Score(Analysis a)
    {
        double total = 0;
        var missing = new List<string>();
        foreach (var (name, words) in Aspects)
        {
            int mentions = 0;
            bool evidence = false;
            foreach (var s in a.Doc.Sentences)
            {
                if (s.IsHeading || !s.ContainsAny(words)) continue;
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
