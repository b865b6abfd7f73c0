namespace Cortex1.Evaluation.Forecasts;

/// <summary>
/// The names an answer may call an asset by (ticker or name), mapped to the chain keys the market data uses. A chain
/// the table does not know is still found by its key (<c>avalanche</c>) or its upper-case key as a ticker.
/// </summary>
public static class Assets
{
    private static readonly (string Alias, string Chain)[] Known =
    [
        ("btc", "bitcoin"), ("bitcoin", "bitcoin"), ("xbt", "bitcoin"),
        ("eth", "ethereum"), ("ether", "ethereum"), ("ethereum", "ethereum"),
        ("sol", "solana"), ("solana", "solana"),
        ("near", "near"),
    ];

    /// <summary>Every asset the text names, in order of first mention, limited to <paramref name="chains"/> when given.</summary>
    public static IReadOnlyList<string> Mentioned(string text, IReadOnlyCollection<string>? chains = null)
    {
        var lower = text.ToLowerInvariant();
        var found = new List<(int At, string Chain)>();
        var aliases = Known.AsEnumerable();
        if (chains is not null) aliases = aliases.Concat(chains.Select(c => (c.ToLowerInvariant(), c)));
        foreach (var (alias, chain) in aliases)
        {
            if (chains is not null && !chains.Contains(chain)) continue;
            for (int at = lower.IndexOf(alias, StringComparison.Ordinal); at >= 0; at = lower.IndexOf(alias, at + 1, StringComparison.Ordinal))
            {
                bool startsWord = at == 0 || !char.IsLetterOrDigit(lower[at - 1]);
                int end = at + alias.Length;
                bool endsWord = end == lower.Length || !char.IsLetterOrDigit(lower[end]);
                // "near" is also an English word ("support sits near $1,600"): only the upper-case ticker counts.
                bool word = alias != "near" || string.CompareOrdinal(text, at, "NEAR", 0, 4) == 0;
                if (startsWord && endsWord && word) { found.Add((at, chain)); break; }
            }
        }
        return [.. found.OrderBy(f => f.At).Select(f => f.Chain).Distinct()];
    }
}
