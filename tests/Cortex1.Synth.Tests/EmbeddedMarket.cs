using Cortex1.Domain;
using Cortex1.Data.Market;
using Cortex1.Ingest.Conditions;
using Cortex1.Ingest.Embedded;
using Cortex1.Ingest.Metrics;
using Cortex1.Synth.Generation;

namespace Cortex1.Synth.Tests;

/// <summary>
/// The real embedded BTC/ETH/SOL history with Ingest's derived metrics and labels, in memory — the
/// same days and labels the database holds after <c>load-embedded</c>.
/// </summary>
internal static class EmbeddedMarket
{
    private static readonly Lazy<MarketHistory> Shared = new(Build);

    public static MarketHistory History => Shared.Value;

    private static MarketHistory Build()
    {
        var derived = DerivedMetrics.Compute(EmbeddedHistory.Load());
        var labels = ConditionRules.Label(derived)
            .Where(c => c.Basis == ConditionBasis.Market)
            .ToDictionary(c => (c.Chain, c.Day), c => c.Condition);
        return new MarketHistory(derived, labels);
    }
}
