using Cortex1.Domain;

namespace Cortex1.Synth.Generation;

/// <summary>Which file an example goes to. Eval windows lie strictly after every train window.</summary>
public enum Split
{
    Train,
    Eval,
}

/// <summary>
/// One planned example: a task kind on a window of real market data, focused on one chain and
/// labelled with that chain's market condition on the window's last day. <see cref="Key"/> is
/// derived from these, so planning twice gives the same keys and a resumed run skips what it has.
/// <see cref="Profile"/> (default standard) is how the market was cut and how the prompt is written.
/// </summary>
public sealed record SynthTask(TaskKind Kind, MarketCondition Condition, string Chain, Split Split, MarketContext Market, PromptProfile? Profile = null)
{
    public MarketSeries Focus => Market.Find(Chain) ?? throw new InvalidOperationException($"The window has no series for {Chain}.");
    public DateOnly Start => Focus.Start;
    public DateOnly End => Focus.End;
    public IEnumerable<MarketSeries> Peers => Market.Series.Where(s => s.Chain != Chain);

    public string Key => $"{KindName(Kind)}.{Chain}.{End:yyyy-MM-dd}";

    /// <summary>snake_case names for keys, template files and JSON: market_analysis, cross_chain_correlation, …</summary>
    public static string KindName(TaskKind kind) => string.Concat(kind.ToString()
        .Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>Display names for the chains the data has.</summary>
public static class ChainNames
{
    private static readonly Dictionary<string, (string Name, string Ticker)> Known = new()
    {
        ["bitcoin"] = ("Bitcoin", "BTC"),
        ["ethereum"] = ("Ethereum", "ETH"),
        ["solana"] = ("Solana", "SOL"),
        ["near"] = ("NEAR", "NEAR"),
    };

    public static string Name(string chain) =>
        Known.TryGetValue(chain, out var k) ? k.Name : char.ToUpperInvariant(chain[0]) + chain[1..];

    public static string Ticker(string chain) => Known.TryGetValue(chain, out var k) ? k.Ticker : chain.ToUpperInvariant();
}
