using Cortex1.Evaluation.Forecasts;
using Cortex1.Rewards.Text;

namespace Cortex1.Evaluation.Backtest;

/// <summary>
/// Reads an answer's recommendations: each line of a recommendations (or actions/strategy) section, or, when the
/// answer has no such section, each bullet that starts with an action verb. A line is one recommendation:
/// "Accumulate ETH: allocate 5% of the portfolio …, target $1,950 over 30 days; stop-loss at $1,580."
/// </summary>
public static class RecommendationParser
{
    private static readonly string[] Sections = ["recommend", "action", "strateg", "trade", "positioning"];
    private static readonly (string Verb, TradeAction Action)[] Verbs =
    [
        ("buy", TradeAction.Open), ("accumulate", TradeAction.Open), ("enter", TradeAction.Open), ("go long", TradeAction.Open),
        ("long", TradeAction.Open), ("increase", TradeAction.Open), ("add", TradeAction.Open), ("allocate", TradeAction.Open),
        ("scale in", TradeAction.Open), ("open", TradeAction.Open),
        ("hold", TradeAction.Hold), ("maintain", TradeAction.Hold), ("keep", TradeAction.Hold),
        ("reduce", TradeAction.Reduce), ("trim", TradeAction.Reduce), ("decrease", TradeAction.Reduce), ("sell", TradeAction.Reduce),
        ("take profit", TradeAction.Reduce), ("scale out", TradeAction.Reduce),
        ("exit", TradeAction.Exit), ("close", TradeAction.Exit), ("liquidate", TradeAction.Exit),
        ("short", TradeAction.Short), ("go short", TradeAction.Short),
        ("hedge", TradeAction.Hedge),
        ("wait", TradeAction.Wait), ("avoid", TradeAction.Wait), ("stay out", TradeAction.Wait), ("stay flat", TradeAction.Wait),
    ];

    public static IReadOnlyList<Recommendation> Parse(string answer, string defaultAsset, IReadOnlyCollection<string>? chains = null)
    {
        var doc = Document.Parse(answer);
        bool hasSection = doc.Headings.Any(h => Sections.Any(h.Contains));
        var list = new List<Recommendation>();
        foreach (var line in doc.Sentences.Where(s => !s.IsHeading).GroupBy(s => s.Line))
        {
            var first = line.First();
            var section = first.Section >= 0 ? doc.Headings[first.Section] : "";
            bool inSection = Sections.Any(section.Contains);
            if (hasSection ? !inSection : !first.StartsBullet) continue;
            var text = string.Join(" ", line.Select(s => s.Text));
            if (Read(text, defaultAsset, chains) is { } r) list.Add(r);
        }
        return list;
    }

    private static Recommendation? Read(string text, string defaultAsset, IReadOnlyCollection<string>? chains)
    {
        var lower = text.ToLowerInvariant();
        var action = ActionOf(lower);
        if (action is null) return null;
        // The line's numbers, read by the same scanner as the rewards ("$1,580", "5%", "$2.1k").
        var numbers = Numbers(text);
        int stopAt = WordAt(lower, ["stop-loss", "stop loss", "stop"]);
        int targetAt = WordAt(lower, ["take-profit", "take profit at", "price target", "target"]);
        var stop = After(lower, numbers, stopAt, 40);
        var target = After(lower, numbers, targetAt, 25);

        (double? size, SizeMode mode) = SizeOf(lower, numbers, [stop, target]);
        var horizons = Horizons.Find(text);
        var assets = Assets.Mentioned(text, chains);
        return new Recommendation(assets.Count > 0 ? assets[0] : defaultAsset, action.Value, size, mode,
            stop is { IsPercent: false } s ? s.Value : null, stop is { IsPercent: true } sp ? -Math.Abs(sp.Value) : null,
            target is { IsPercent: false } t ? t.Value : null, target is { IsPercent: true } tp ? Math.Abs(tp.Value) : null,
            horizons.Count > 0 ? horizons[0].Days : null, text);
    }

    /// <summary>The line's first verb: at its start ("**Buy** ETH"), else within its first 40 characters ("ETH: accumulate …").</summary>
    private static TradeAction? ActionOf(string lower)
    {
        var head = lower.AsSpan().TrimStart("*_ -").ToString();
        int best = int.MaxValue;
        TradeAction? action = null;
        foreach (var (verb, a) in Verbs)
        {
            int at = IndexOfWord(head, verb);
            if (at >= 0 && at < 40 && at < best) { best = at; action = a; }
        }
        return action;
    }

    private static List<NumberToken> Numbers(string text)
    {
        var list = new List<NumberToken>();
        for (int i = 0; i < text.Length;)
        {
            if (!char.IsAsciiDigit(text[i])) { i++; continue; }
            if (NumberScanner.TryReadDate(text, i, out var date)) { i = date.End; continue; }
            if (NumberScanner.TryRead(text, i, out var n, out var end)) list.Add(n);
            i = Math.Max(end, i + 1);
        }
        return list;
    }

    private static int WordAt(string lower, string[] words)
    {
        foreach (var w in words)
            if (IndexOfWord(lower, w) is var at and >= 0) return at + w.Length;
        return -1;
    }

    /// <summary>The first number within <paramref name="reach"/> characters after <paramref name="at"/>, in the same clause.</summary>
    private static NumberToken? After(string lower, List<NumberToken> numbers, int at, int reach)
    {
        if (at < 0) return null;
        foreach (var n in numbers)
        {
            if (n.Start < at) continue;
            var gap = lower.AsSpan(at, n.Start - at);
            return gap.Length <= reach && !gap.Contains(';') && !gap.Contains('.') ? n : null;
        }
        return null;
    }

    /// <summary>The position size: the first percent that is not the stop or target, and how it applies.</summary>
    private static (double?, SizeMode) SizeOf(string lower, List<NumberToken> numbers, NumberToken?[] taken)
    {
        foreach (var n in numbers)
        {
            if (!n.IsPercent || n.Value <= 0 || n.Value > 1 || taken.Any(t => t is { } x && x.Start == n.Start)) continue;
            var before = lower.AsSpan(0, n.Start).TrimEnd(" ~≈(");
            if (before.EndsWith("stop-loss") || before.EndsWith("stop") || before.EndsWith("(")) continue;
            var after = lower.AsSpan(n.End, Math.Min(30, lower.Length - n.End));
            if (before.EndsWith(" to") || before.EndsWith(" at")) return (n.Value, before.EndsWith(" to") ? SizeMode.SetTo : SizeMode.Add);
            if (before.EndsWith(" by") || after.Contains("position", StringComparison.Ordinal) || after.Contains("holding", StringComparison.Ordinal)
                || after.Contains("exposure", StringComparison.Ordinal))
                return (n.Value, SizeMode.ShareOfPosition);
            return (n.Value, SizeMode.Add);
        }
        return (null, SizeMode.Add);
    }

    private static int IndexOfWord(string s, string w)
    {
        for (int at = s.IndexOf(w, StringComparison.Ordinal); at >= 0; at = s.IndexOf(w, at + 1, StringComparison.Ordinal))
        {
            int end = at + w.Length;
            if ((at == 0 || !char.IsLetter(s[at - 1])) && (end == s.Length || !char.IsLetter(s[end]) || s[end] == 's')) return at;
        }
        return -1;
    }
}
