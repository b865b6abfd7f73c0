using Cortex1.Domain;
using Cortex1.Ingest.Embedded;
using Cortex1.Ingest.Metrics;

namespace Cortex1.Ingest.Tests;

/// <summary>Derived metrics of the embedded history against sums written out from specific CSV rows.</summary>
public sealed class DerivedMetricsTests
{
    // close_usd and volume_usd of BTC and close_usd of ETH, 2018-01-01 … 2018-01-31, copied from
    // Data/cc0_srk_daily_market_2018_2021.csv (rows 2–32 for BTC; the ETH rows of the same dates).
    private static readonly double[] BtcClose =
    [
        13657.2001953125, 14982.099609375, 15201.0, 15599.2001953125, 17429.5, 17527.0, 16477.599609375,
        15170.099609375, 14595.400390625, 14973.2998046875, 13405.7998046875, 13980.599609375, 14360.2001953125,
        13772.0, 13819.7998046875, 11490.5, 11188.599609375, 11474.900390625, 11607.400390625, 12899.2001953125,
        11600.099609375, 10931.400390625, 10868.400390625, 11359.400390625, 11259.400390625, 11171.400390625,
        11440.7001953125, 11786.2998046875, 11296.400390625, 10106.2998046875, 10221.099609375,
    ];

    private static readonly double[] BtcVolume =
    [
        10291200000.0, 16846600192.0, 16871900160.0, 21783199744.0, 23840899072.0, 18314600448.0, 15866000384.0,
        18413899776.0, 16659999744.0, 18500800512.0, 16534099968.0, 12065699840.0, 12763599872.0, 11084099584.0,
        12750799872.0, 18853799936.0, 18830600192.0, 15020399616.0, 10740400128.0, 11801700352.0, 9935179776.0,
        10537400320.0, 9660609536.0, 9940989952.0, 8873169920.0, 9746199552.0, 7583269888.0, 8350360064.0,
        7107359744.0, 8637859840.0, 8041160192.0,
    ];

    private static readonly double[] EthClose =
    [
        772.6409912109375, 884.4439697265625, 962.719970703125, 980.9219970703125, 997.719970703125, 1041.6800537109375,
        1153.1700439453125, 1148.530029296875, 1299.739990234375, 1255.8199462890625, 1154.9300537109375,
        1273.199951171875, 1396.4200439453125, 1366.77001953125, 1291.9200439453125, 1053.68994140625, 1014.25,
        1036.280029296875, 1039.0999755859375, 1155.1500244140625, 1049.5799560546875, 1003.260009765625,
        986.22900390625, 1058.780029296875, 1056.030029296875, 1055.1700439453125, 1107.0699462890625,
        1246.010009765625, 1182.3599853515625, 1071.1300048828125, 1118.31005859375,
    ];

    private static readonly DateOnly Jan31 = new(2018, 1, 31);

    private static readonly Lazy<IReadOnlyList<MarketSeries>> Derived = new(() => DerivedMetrics.Compute(EmbeddedHistory.Load()));

    private static MarketDay Day(string chain, DateOnly day) => Derived.Value.Single(s => s.Chain == chain).Days.Single(d => d.Day == day);

    private static double[] LogReturns(double[] close, int count) =>
        [.. Enumerable.Range(close.Length - count, count).Select(i => Math.Log(close[i] / close[i - 1]))];

    private static double SampleStdDev(double[] r)
    {
        var mean = r.Sum() / r.Length;
        return Math.Sqrt(r.Sum(x => (x - mean) * (x - mean)) / (r.Length - 1));
    }

    [Fact]
    public void Price_growth_is_the_ratio_of_closes_minus_one()
    {
        var d = Day("bitcoin", Jan31);
        Assert.Equal(10221.099609375 / 10106.2998046875 - 1, d.Get(MetricNames.PriceGrowth1d)!.Value, 12);
        Assert.Equal(10221.099609375 / 11359.400390625 - 1, d.Get(MetricNames.PriceGrowth7d)!.Value, 12);  // vs 2018-01-24
        Assert.Equal(10221.099609375 / 13657.2001953125 - 1, d.Get(MetricNames.PriceGrowth30d)!.Value, 12); // vs 2018-01-01
        Assert.Equal(-0.2516, d.Get(MetricNames.PriceGrowth30d)!.Value, 4); // a fraction, not a percent
    }

    [Fact]
    public void Volatility_is_the_sample_std_of_daily_log_returns_not_annualised()
    {
        var d = Day("bitcoin", Jan31);
        Assert.Equal(SampleStdDev(LogReturns(BtcClose, 7)), d.Get(MetricNames.Volatility7d)!.Value, 12);
        Assert.Equal(SampleStdDev(LogReturns(BtcClose, 30)), d.Get(MetricNames.Volatility30d)!.Value, 12);
        Assert.Equal(0.0663, d.Get(MetricNames.Volatility30d)!.Value, 4);
        // 2018-01-30 has only 29 returns in the file: no 30-day volatility, no 30-day growth.
        var jan30 = Day("bitcoin", new DateOnly(2018, 1, 30));
        Assert.Null(jan30.Get(MetricNames.Volatility30d));
        Assert.Null(jan30.Get(MetricNames.PriceGrowth30d));
        Assert.NotNull(jan30.Get(MetricNames.Volatility7d));
    }

    [Fact]
    public void Volume_growth_compares_the_last_7_days_with_the_7_before()
    {
        var last7 = BtcVolume[24..31].Sum();   // 2018-01-25 … 2018-01-31
        var before7 = BtcVolume[17..24].Sum(); // 2018-01-18 … 2018-01-24
        Assert.Equal(last7 / before7 - 1, Day("bitcoin", Jan31).Get(MetricNames.VolumeGrowth7d)!.Value, 12);
    }

    [Fact]
    public void Correlation_is_pearson_of_30_daily_log_returns_both_ways()
    {
        var a = LogReturns(BtcClose, 30);
        var b = LogReturns(EthClose, 30);
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < 30; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        var expected = sab / Math.Sqrt(saa * sbb);

        Assert.Equal(expected, Day("bitcoin", Jan31).Get(MetricNames.Correlation30d("ethereum"))!.Value, 12);
        Assert.Equal(expected, Day("ethereum", Jan31).Get(MetricNames.Correlation30d("bitcoin"))!.Value, 12);
        Assert.Equal(0.7223, expected, 4);
        // Solana's history starts in 2020: no correlation with it in 2018.
        Assert.Null(Day("bitcoin", Jan31).Get(MetricNames.Correlation30d("solana")));
    }

    [Fact]
    public void On_chain_metrics_get_the_same_treatment_and_stored_derived_values_are_recomputed()
    {
        var start = new DateOnly(2025, 1, 1);
        var days = Enumerable.Range(0, 31).Select(i => new MarketDay("near", start.AddDays(i), new Dictionary<string, double>
        {
            [MetricNames.DailyTransactions] = 1000 * Math.Pow(1.01, i), // +1 % a day
            [MetricNames.UniqueUsers] = 100 + i,
            [MetricNames.TransferVolume] = 50,
            [MetricNames.TransactionGrowth7d] = 123, // a stale stored value: must be replaced
        }, "flipside")).ToList();

        var last = DerivedMetrics.Compute([new MarketSeries("near", days)])[0].Last;

        Assert.Equal(Math.Pow(1.01, 7) - 1, last.Get(MetricNames.TransactionGrowth7d)!.Value, 12);
        Assert.Equal(Math.Pow(1.01, 30) - 1, last.Get(MetricNames.TransactionGrowth30d)!.Value, 12);
        Assert.Equal(0, last.Get(MetricNames.TransactionVolatility30d)!.Value, 12); // constant log change
        Assert.Equal(130.0 / 123 - 1, last.Get(MetricNames.UserGrowth7d)!.Value, 12);
        Assert.Equal(0, last.Get(MetricNames.TransferVolumeGrowth7d)!.Value, 12);
        Assert.Null(last.Get(MetricNames.PriceGrowth7d)); // no price in on-chain data: nothing invented
    }
}
