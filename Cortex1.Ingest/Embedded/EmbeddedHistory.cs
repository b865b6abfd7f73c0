using System.Globalization;
using Cortex1.Domain;

namespace Cortex1.Ingest.Embedded;

/// <summary>
/// The CC0 daily BTC/ETH/SOL market history (2018-01-01 … 2021-07-06) shipped inside this assembly;
/// provenance and attribution in <c>Data/README.md</c>. Values are used exactly as the file has them.
/// </summary>
public static class EmbeddedHistory
{
    public const string Source = "embedded";
    public const string ResourceName = "Cortex1.Ingest.Data.cc0_srk_daily_market_2018_2021.csv";

    public const string Attribution =
        "Price data: \"Cryptocurrency Historical Prices\" by Sudalai Rajkumar (Kaggle, CC0 1.0), originally compiled from CoinMarketCap.";

    /// <summary>Ticker in the file → Cortex1 chain key.</summary>
    public static readonly IReadOnlyDictionary<string, string> Chains = new Dictionary<string, string>
    {
        ["BTC"] = "bitcoin",
        ["ETH"] = "ethereum",
        ["SOL"] = "solana",
    };

    private static readonly string[] Header =
        ["date", "asset", MetricNames.OpenUsd, MetricNames.HighUsd, MetricNames.LowUsd, MetricNames.CloseUsd, MetricNames.VolumeUsd, MetricNames.MarketCapUsd];

    /// <summary>Every row of the embedded file, grouped by chain, oldest day first.</summary>
    public static IReadOnlyList<MarketSeries> Load()
    {
        using var stream = typeof(EmbeddedHistory).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Resource {ResourceName} is missing from {typeof(EmbeddedHistory).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }

    /// <summary>Parses the file's format; an empty cell is a missing metric (never zero).</summary>
    public static IReadOnlyList<MarketSeries> Parse(TextReader reader)
    {
        var header = reader.ReadLine()?.Split(',');
        if (header is null || !header.SequenceEqual(Header))
            throw new FormatException($"Expected header '{string.Join(',', Header)}'.");

        var byChain = new Dictionary<string, List<MarketDay>>();
        var lineNo = 1;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (cells.Length != Header.Length)
                throw new FormatException($"Line {lineNo}: expected {Header.Length} cells, found {cells.Length}.");
            if (!Chains.TryGetValue(cells[1], out var chain))
                throw new FormatException($"Line {lineNo}: unknown asset '{cells[1]}'.");
            if (!DateOnly.TryParseExact(cells[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                throw new FormatException($"Line {lineNo}: bad date '{cells[0]}'.");

            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var i = 2; i < Header.Length; i++)
            {
                if (cells[i].Length == 0) continue;
                if (!double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new FormatException($"Line {lineNo}: {Header[i]} '{cells[i]}' is not a number.");
                metrics[Header[i]] = v;
            }
            if (!byChain.TryGetValue(chain, out var days)) byChain[chain] = days = [];
            days.Add(new MarketDay(chain, day, metrics, Source));
        }
        return [.. byChain.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new MarketSeries(kv.Key, [.. kv.Value.OrderBy(d => d.Day)]))];
    }
}
