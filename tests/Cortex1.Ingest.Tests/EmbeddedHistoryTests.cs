using Cortex1.Domain;
using Cortex1.Ingest.Embedded;

namespace Cortex1.Ingest.Tests;

public sealed class EmbeddedHistoryTests
{
    [Fact]
    public void Loads_every_row_of_the_shipped_file_under_lower_case_chain_keys()
    {
        var series = EmbeddedHistory.Load();

        // Counts and ranges as documented in Data/README.md.
        Assert.Equal(["bitcoin", "ethereum", "solana"], series.Select(s => s.Chain));
        Assert.Equal(3018, series.Sum(s => s.Days.Count));
        var btc = series.Single(s => s.Chain == "bitcoin");
        Assert.Equal(1283, btc.Days.Count);
        Assert.Equal(new DateOnly(2018, 1, 1), btc.Start);
        Assert.Equal(new DateOnly(2021, 7, 6), btc.End);
        var sol = series.Single(s => s.Chain == "solana");
        Assert.Equal(452, sol.Days.Count);
        Assert.Equal(new DateOnly(2020, 4, 11), sol.Start);
        Assert.All(series, s => Assert.All(s.Days, d => Assert.Equal(EmbeddedHistory.Source, d.Source)));
    }

    [Fact]
    public void Keeps_values_exactly_and_leaves_empty_cells_missing_not_zero()
    {
        var series = EmbeddedHistory.Load();
        var btcFirst = series.Single(s => s.Chain == "bitcoin").Days[0];
        // 2018-01-01,BTC,14112.2001953125,14112.2001953125,13154.7001953125,13657.2001953125,10291200000.0,229119155396.0
        Assert.Equal(14112.2001953125, btcFirst.Get(MetricNames.OpenUsd));
        Assert.Equal(13154.7001953125, btcFirst.Get(MetricNames.LowUsd));
        Assert.Equal(13657.2001953125, btcFirst.Get(MetricNames.CloseUsd));
        Assert.Equal(10291200000.0, btcFirst.Get(MetricNames.VolumeUsd));
        Assert.Equal(229119155396.0, btcFirst.Get(MetricNames.MarketCapUsd));

        // SOL's market cap is empty for its first 52 days (2020-04-11 … 2020-06-01).
        var sol = series.Single(s => s.Chain == "solana").Days;
        Assert.Equal(52, sol.Count(d => d.Get(MetricNames.MarketCapUsd) is null));
        Assert.Null(sol.Single(d => d.Day == new DateOnly(2020, 6, 1)).Get(MetricNames.MarketCapUsd));
        Assert.NotNull(sol.Single(d => d.Day == new DateOnly(2020, 6, 2)).Get(MetricNames.MarketCapUsd));
        Assert.Equal(0.776818582977, sol[0].Get(MetricNames.CloseUsd));
    }

    [Fact]
    public void Rejects_malformed_rows_with_the_line_number()
    {
        const string header = "date,asset,open_usd,high_usd,low_usd,close_usd,volume_usd,market_cap_usd\n";
        var e = Assert.Throws<FormatException>(() =>
            EmbeddedHistory.Parse(new StringReader(header + "2018-01-01,BTC,1,2,3,4,5,6\n2018-01-02,BTC,1,2,x,4,5,6\n")));
        Assert.Contains("Line 3", e.Message);
        Assert.Throws<FormatException>(() => EmbeddedHistory.Parse(new StringReader(header + "2018-01-01,DOGE,1,2,3,4,5,6\n")));
        Assert.Throws<FormatException>(() => EmbeddedHistory.Parse(new StringReader("date,asset\n")));
    }
}
