namespace Cortex1.Rewards.Text;

/// <summary>Groups of terms the components look for; a sentence carries the set it mentions.</summary>
[Flags]
internal enum Topic : uint
{
    None = 0,
    Transactions = 1 << 0,
    Users = 1 << 1,
    Technical = 1 << 2,
    Risk = 1 << 3,
    Investment = 1 << 4,
    /// <summary>Any market term: a sentence without one (and without numbers) is filler.</summary>
    Domain = 1 << 5,
    /// <summary>Words that make a sentence a checkable statement about the past (grew, average, ratio…).</summary>
    ProseClaim = 1 << 6,
    /// <summary>Words of forecasts and plans, whose numbers are not data.</summary>
    ForwardLooking = 1 << 7,
    /// <summary>Words saying a stated size is a fall ("down 35%").</summary>
    Down = 1 << 8,
    /// <summary>Comparisons with an earlier period.</summary>
    Relative = 1 << 9,
    /// <summary>Targets and horizons of a recommendation.</summary>
    Target = 1 << 10,
    /// <summary>Stated risks of a recommendation.</summary>
    StatedRisk = 1 << 11,
}

/// <summary>
/// The vocabulary of the rewards, matched in one pass per sentence (an Aho–Corasick automaton over
/// lower-case text) because dozens of substring searches per sentence were most of the scoring time.
/// Terms match anywhere, so stems ("volatil", "allocat") cover their word families.
/// </summary>
internal static class Lexicon
{
    private static readonly (Topic Topic, string[] Terms)[] Vocabulary =
    [
        (Topic.Transactions, ["transaction", "txn", "volume", "transfer", "turnover", "trading activity"]),
        (Topic.Users, ["user", "address", "wallet", "holder", "participant", "adoption", "demand", "liquidity", "market cap", "investor"]),
        (Topic.Technical, ["support", "resistance", "moving average", "momentum", "trend", "volatility", "breakout", "consolidat", "range"]),
        (Topic.Risk, ["risk", "downside", "drawdown", "stop-loss", "stop loss", "exposure", "invalidat"]),
        (Topic.Investment, ["allocat", "position", "portfolio", "entry", "exit", "buy", "sell", "accumulate", "target"]),
        (Topic.Domain, ["price", "volume", "volatil", "growth", "market", "trend", "risk", "support", "resistance", "correlat", "return",
            "liquidity", "position", "portfolio", "stop", "target", "allocat", "buy", "sell", "hold", "bitcoin", "ethereum",
            "solana", "btc", "chain", "forecast", "interval", "momentum", "drawdown", "rally", "decline"]),
        (Topic.ProseClaim, ["grew", "rose", "fell", "dropped", "declined", "gained", "lost", "increase", "decrease", "growth", "return",
            "change", "average", "mean", "ratio", "rallied", "slid", "up ", "down "]),
        (Topic.ForwardLooking, ["forecast", "expect", "target", "project", " ci", "confidence", "stop", "allocat", "estimate",
            "scenario", "could", "would", "if "]),
        (Topic.Down, ["down", "fell", "lost", "declin", "drop", "loss", "decreas", "slid", "lower"]),
        (Topic.Relative, ["ago", "previous", "prior", "earlier", "since", "compared with", "compared to", "versus", " vs", "-day high",
            "-day low", "-day average", "start of the window", "beginning of", "week before", "last week", "last month", "from $",
            "high of", "low of"]),
        (Topic.Target, ["target", "take profit", "take-profit", "horizon", "over the next", "within", " days", " weeks", "exit at", "entry", "by "]),
        (Topic.StatedRisk, ["stop", "risk", "invalidat", "downside", "hedge", "drawdown", "if "]),
    ];

    // Alphabet: a–z, space, '-', '$' and one "other" symbol: a small table stays in cache.
    private const int Alphabet = 30;
    private static readonly ushort[] Next;   // state * Alphabet + symbol → state
    private static readonly Topic[] Output;  // topics completed at a state (fail links folded in)

    static Lexicon()
    {
        var children = new List<Dictionary<int, int>> { new() };
        var output = new List<Topic> { Topic.None };
        foreach (var (topic, terms) in Vocabulary)
            foreach (var term in terms)
            {
                int state = 0;
                foreach (var c in term)
                {
                    int sym = Symbol(c);
                    if (!children[state].TryGetValue(sym, out var next))
                    {
                        next = children.Count;
                        children[state][sym] = next;
                        children.Add([]);
                        output.Add(Topic.None);
                    }
                    state = next;
                }
                output[state] |= topic;
            }

        // Breadth-first: fail links, outputs along them, and a full transition table.
        int n = children.Count;
        if (n > ushort.MaxValue) throw new InvalidOperationException("Lexicon too large for its transition table.");
        Next = new ushort[n * Alphabet];
        var fail = new int[n];
        var queue = new Queue<int>();
        for (int sym = 0; sym < Alphabet; sym++)
            if (children[0].TryGetValue(sym, out var s)) { Next[sym] = (ushort)s; fail[s] = 0; queue.Enqueue(s); }
        while (queue.Count > 0)
        {
            int state = queue.Dequeue();
            output[state] |= output[fail[state]];
            for (int sym = 0; sym < Alphabet; sym++)
            {
                if (children[state].TryGetValue(sym, out var child))
                {
                    fail[child] = Next[fail[state] * Alphabet + sym];
                    Next[state * Alphabet + sym] = (ushort)child;
                    queue.Enqueue(child);
                }
                else Next[state * Alphabet + sym] = Next[fail[state] * Alphabet + sym];
            }
        }
        Output = output.ToArray();
    }

    /// <summary>Every topic whose terms occur in <paramref name="lower"/> (lower-case text).</summary>
    public static Topic Match(string lower)
    {
        Topic found = Topic.None;
        int state = 0;
        foreach (var c in lower)
        {
            state = Next[state * Alphabet + Symbol(c)];
            found |= Output[state];
        }
        return found;
    }

    private static int Symbol(char c) => c switch
    {
        >= 'a' and <= 'z' => c - 'a',
        ' ' => 26,
        '-' => 27,
        '$' => 28,
        _ => 29,
    };
}
