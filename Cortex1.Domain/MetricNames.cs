namespace Cortex1.Domain;

/// <summary>
/// The metric names used across Cortex1: in PostgreSQL, in prompts (cited as <c>[name]</c>) and
/// by the reward system. Units: prices and volumes in USD; on-chain volumes in the chain's native
/// unit (ETH, NEAR, BTC); growth and volatility are fractions (0.05 = 5 %), not percents.
/// </summary>
public static class MetricNames
{
    // Market data (embedded history or a price feed).
    public const string OpenUsd = "open_usd";
    public const string HighUsd = "high_usd";
    public const string LowUsd = "low_usd";
    public const string CloseUsd = "close_usd";
    public const string VolumeUsd = "volume_usd";
    public const string MarketCapUsd = "market_cap_usd";

    // On-chain activity (Flipside).
    public const string DailyTransactions = "daily_txns";
    public const string UniqueUsers = "unique_users";
    public const string TransferVolume = "transfer_volume";
    public const string AvgTransactionValue = "avg_tx_value";
    public const string TotalFees = "total_fees";
    public const string SuccessRate = "success_rate";

    // Derived in C# for every source alike (Ingest's DerivedMetrics).
    public const string PriceGrowth1d = "price_growth_1d";
    public const string PriceGrowth7d = "price_growth_7d";
    public const string PriceGrowth30d = "price_growth_30d";
    public const string Volatility7d = "volatility_7d";
    public const string Volatility30d = "volatility_30d";
    public const string VolumeGrowth7d = "volume_growth_7d";
    public const string TransactionGrowth7d = "txn_growth_7d";
    public const string UserGrowth7d = "user_growth_7d";
    public const string TransactionGrowth30d = "txn_growth_30d";
    public const string TransferVolumeGrowth7d = "transfer_volume_growth_7d";

    /// <summary>Sample standard deviation of the daily log changes in transaction count over 30 days (per day, fraction).</summary>
    public const string TransactionVolatility30d = "txn_volatility_30d";

    /// <summary>30-day rolling Pearson correlation of daily log returns with another chain.</summary>
    public static string Correlation30d(string otherChain) => $"correlation_30d_{otherChain}";

    /// <summary>30-day rolling Pearson correlation of daily log changes in transaction count with another chain.</summary>
    public static string TransactionCorrelation30d(string otherChain) => $"txn_correlation_30d_{otherChain}";
}
