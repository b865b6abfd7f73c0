using System.Globalization;
using System.Text.Json;
using Cortex1.Domain;

namespace Cortex1.Ingest.OnChain;

/// <summary>
/// How to read one chain's daily activity from Flipside's Snowflake schema. Adding a chain is one
/// more entry in <see cref="ChainQueries.All"/>: every chain shares <see cref="ChainQueries.Template"/>.
/// </summary>
/// <param name="Chain">Lower-case chain key used everywhere in Cortex1.</param>
/// <param name="Table">The chain's transactions table.</param>
/// <param name="Timestamp">Block time column.</param>
/// <param name="Sender">Expression for the account that sent the transaction (unique users = distinct senders).</param>
/// <param name="Value">Expression for the value transferred, in the chain's smallest unit (or native unit when <paramref name="UnitsPerCoin"/> is 1).</param>
/// <param name="Fee">Expression for the fee paid, in the same unit as <paramref name="Value"/>.</param>
/// <param name="Succeeded">Boolean expression: the transaction succeeded.</param>
/// <param name="UnitsPerCoin">Smallest units per native coin: wei per ETH = 1e18, yoctoNEAR per NEAR = 1e24.</param>
public sealed record ChainQuery(
    string Chain, string Table, string Timestamp, string Sender, string Value, string Fee, string Succeeded, string UnitsPerCoin);

public static class ChainQueries
{
    /// <summary>
    /// One row per UTC day of the last <c>{days}</c> complete days. Columns are the metric names of
    /// <see cref="MetricNames"/>; volumes and fees come out in native coins (ETH, NEAR, BTC).
    /// </summary>
    public const string Template = """
        SELECT
            date_trunc('day', {timestamp})::date                               AS day,
            count(*)                                                           AS daily_txns,
            count(DISTINCT {sender})                                           AS unique_users,
            coalesce(sum({value}), 0) / {unitsPerCoin}                         AS transfer_volume,
            coalesce(avg({value}), 0) / {unitsPerCoin}                         AS avg_tx_value,
            coalesce(sum({fee}), 0) / {unitsPerCoin}                           AS total_fees,
            avg(CASE WHEN {succeeded} THEN 1 ELSE 0 END)                       AS success_rate
        FROM {table}
        WHERE {timestamp} >= dateadd('day', -{days}, current_date)
          AND {timestamp} < current_date
        GROUP BY 1
        ORDER BY 1
        """;

    // Column names follow Flipside's curated core schemas. Raw integer amounts are cast to float
    // before summing: a day's wei total overflows Snowflake's 38-digit NUMBER.
    public static readonly IReadOnlyList<ChainQuery> All =
    [
        new("ethereum", "ethereum.core.fact_transactions", "block_timestamp", "from_address",
            "value_precise_raw::float", "tx_fee_precise::float * 1e18", "status = 'SUCCESS'", "1e18"),
        new("near", "near.core.fact_transactions", "block_timestamp", "tx_signer",
            "coalesce(tx:actions[0]:Transfer:deposit::float, 0)", "transaction_fee::float", "tx_succeeded", "1e24"),
        new("bitcoin", "bitcoin.core.fact_transactions", "block_timestamp", "inputs[0]:scriptPubKey:address::string",
            "output_value", "fee", "TRUE", "1"),
        new("polygon", "polygon.core.fact_transactions", "block_timestamp", "from_address",
            "value_precise_raw::float", "tx_fee_precise::float * 1e18", "status = 'SUCCESS'", "1e18"),
    ];

    public static IReadOnlyList<string> Chains => [.. All.Select(q => q.Chain)];

    public static ChainQuery Get(string chain) =>
        All.FirstOrDefault(q => q.Chain == chain)
        ?? throw new ArgumentException($"No Flipside query for chain '{chain}'. Known chains: {string.Join(", ", Chains)}.", nameof(chain));

    public static string Sql(ChainQuery q, int days)
    {
        if (days is < 1 or > 3650) throw new ArgumentOutOfRangeException(nameof(days), days, "days must be between 1 and 3650.");
        return Template
            .Replace("{timestamp}", q.Timestamp).Replace("{sender}", q.Sender).Replace("{value}", q.Value)
            .Replace("{fee}", q.Fee).Replace("{succeeded}", q.Succeeded).Replace("{unitsPerCoin}", q.UnitsPerCoin)
            .Replace("{table}", q.Table).Replace("{days}", days.ToString(CultureInfo.InvariantCulture));
    }

    private static readonly string[] MetricColumns =
    [
        MetricNames.DailyTransactions, MetricNames.UniqueUsers, MetricNames.TransferVolume,
        MetricNames.AvgTransactionValue, MetricNames.TotalFees, MetricNames.SuccessRate,
    ];

    /// <summary>Turns result rows into days. A null cell is a missing metric, never zero.</summary>
    public static IReadOnlyList<MarketDay> ToDays(string chain, IEnumerable<IReadOnlyDictionary<string, JsonElement>> rows, string source)
    {
        var days = new List<MarketDay>();
        foreach (var row in rows)
        {
            if (!row.TryGetValue("day", out var dayCell))
                throw new FormatException("A Flipside result row has no 'day' column.");
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var name in MetricColumns)
                if (row.TryGetValue(name, out var cell) && Number(cell) is { } v)
                    metrics[name] = v;
            days.Add(new MarketDay(chain, Day(dayCell), metrics, source));
        }
        return [.. days.OrderBy(d => d.Day)];
    }

    private static DateOnly Day(JsonElement cell)
    {
        var s = cell.GetString() ?? throw new FormatException("A Flipside row has an empty 'day'.");
        // Snowflake dates arrive as "2025-02-09" or as a timestamp "2025-02-09T00:00:00.000Z".
        return DateOnly.ParseExact(s.Length >= 10 ? s[..10] : s, "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static double? Number(JsonElement cell) => cell.ValueKind switch
    {
        JsonValueKind.Number => cell.GetDouble(),
        JsonValueKind.String when double.TryParse(cell.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        JsonValueKind.Null => null,
        _ => throw new FormatException($"Expected a number, got {cell.ValueKind}: {cell.GetRawText()}"),
    };
}
