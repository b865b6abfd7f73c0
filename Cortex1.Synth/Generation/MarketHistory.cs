using Cortex1.Domain;
using Cortex1.Data.Market;

namespace Cortex1.Synth.Generation;

/// <summary>
/// Every stored day and condition label of the chains a run uses, read once from PostgreSQL so
/// windows are sliced in memory.
/// </summary>
public sealed record MarketHistory(IReadOnlyList<MarketSeries> Series, IReadOnlyDictionary<(string Chain, DateOnly Day), MarketCondition> Labels)
{
    public static async Task<MarketHistory> LoadAsync(MarketStore store, IReadOnlyList<string> chains, CancellationToken ct)
    {
        var stored = await store.GetChainsAsync(ct);
        if (stored.Count == 0)
            throw new MarketDataMissingException();
        var wanted = chains.Contains(SynthRunRequest.MarketChains)
            ? stored.Select(c => c.Chain).ToList()
            : [.. chains];
        var unknown = wanted.Except(stored.Select(c => c.Chain)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"No market data for {string.Join(", ", unknown)}; stored chains: {string.Join(", ", stored.Select(c => c.Chain))}.");

        var series = new List<MarketSeries>();
        var labels = new Dictionary<(string, DateOnly), MarketCondition>();
        foreach (var chain in stored.Where(c => wanted.Contains(c.Chain)))
        {
            var days = await store.GetDaysAsync(chain.Chain, chain.FirstDay, chain.LastDay, ct);
            // "market" means chains with prices: the analysis is about markets.
            if (chains.Contains(SynthRunRequest.MarketChains) && !days.Days.Any(d => d.Get(MetricNames.CloseUsd) is not null)) continue;
            series.Add(days);
            // Price/volume labels win over on-chain ones where a day has both.
            foreach (var c in (await store.GetConditionsAsync(chain.Chain, chain.FirstDay, chain.LastDay, ct)).OrderBy(c => c.Basis == ConditionBasis.Market))
                labels[(c.Chain, c.Day)] = c.Condition;
        }
        if (series.Count == 0) throw new MarketDataMissingException();
        return new MarketHistory(series, labels);
    }
}

/// <summary>PostgreSQL holds no market data to build prompts from.</summary>
public sealed class MarketDataMissingException() : Exception(
    "PostgreSQL has no market data to build examples from. Load it first: " +
    "`dotnet run --project Cortex1.Ingest -- load-embedded` (the bundled BTC/ETH/SOL history) or `-- fetch --days 90`.");
