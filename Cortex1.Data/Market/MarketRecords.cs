using Cortex1.Domain;

namespace Cortex1.Data.Market;

/// <summary>Which mapping produced a label: price/volume data or on-chain activity.</summary>
public enum ConditionBasis
{
    /// <summary>Price and trading-volume metrics (embedded history, price feeds).</summary>
    Market,

    /// <summary>On-chain activity metrics (transactions, users, transfer volume).</summary>
    OnChain,
}

/// <summary>The market condition of one chain on one day, under one basis.</summary>
public sealed record DailyCondition(string Chain, DateOnly Day, ConditionBasis Basis, MarketCondition Condition);

/// <summary>What the store holds for one chain.</summary>
public sealed record MarketChain(string Chain, DateOnly FirstDay, DateOnly LastDay, int Days, IReadOnlyList<string> Sources);

/// <summary>
/// Days and labels written together: <see cref="MarketStore.UpsertAsync"/> writes a batch in one
/// transaction, so a batch is all there or not at all.
/// </summary>
public sealed record MarketBatch(IReadOnlyList<MarketDay> Days, IReadOnlyList<DailyCondition> Conditions)
{
    public int MetricCount => Days.Sum(d => d.Metrics.Count);
}

/// <summary>The text forms stored in PostgreSQL (see migration 002_market.sql).</summary>
public static class MarketText
{
    public static string Of(ConditionBasis basis) => basis switch
    {
        ConditionBasis.Market => "market",
        ConditionBasis.OnChain => "onchain",
        _ => throw new ArgumentOutOfRangeException(nameof(basis), basis, null),
    };

    public static ConditionBasis ParseBasis(string text) => text switch
    {
        "market" => ConditionBasis.Market,
        "onchain" => ConditionBasis.OnChain,
        _ => throw new FormatException($"Unknown condition basis '{text}'."),
    };

    public static string Of(MarketCondition condition) => condition.ToString().ToLowerInvariant();

    public static MarketCondition ParseCondition(string text) =>
        Enum.TryParse<MarketCondition>(text, ignoreCase: true, out var c) && Enum.IsDefined(c)
            ? c
            : throw new FormatException($"Unknown market condition '{text}'.");
}
