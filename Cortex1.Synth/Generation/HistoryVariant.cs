using Cortex1.Domain;

namespace Cortex1.Synth.Generation;

/// <summary>
/// A copy of the stored history moved in time, its prices scaled and its chains' names rotated: the same market moves
/// on other dates, at other price levels, under another name. Train windows cut from such copies teach a small model to
/// copy the date, the level and the chain from its prompt: trained on 2018–2020 alone, the baby writes "2020" for an
/// eval window in 2021 (the tokenizer splits years as "202" + digit, and "202" was only ever followed by "0"), a
/// Bitcoin-sized price for Ethereum, and "Bitcoin" for a chain it has not seen at that level. Prices scale with
/// <see cref="PriceScale"/> (every <c>_usd</c> metric); ratios, growths and volatilities do not change, so the teacher's
/// report of a copy is as true of it as the original's is of the original. Only train windows get copies: the eval
/// split is the real, later market.
/// </summary>
/// <param name="Years">Whole years added to every day (negative: earlier), a multiple of 4 so leap days stay leap days.</param>
/// <param name="PriceScale">Factor on every <c>_usd</c> metric.</param>
/// <param name="ChainRotation">Each chain takes the name of the chain this many places further in the sorted list.</param>
public sealed record HistoryVariant(int Years, double PriceScale, int ChainRotation)
{
    /// <summary>
    /// Years earlier, never meeting the history's own (it spans under four): every copied window ends before the first eval
    /// window starts, as every train window does. Price levels from a tenth to ten times; every rotation of three chains.
    /// </summary>
    static readonly HistoryVariant[] All =
    [
        new(-4, 3, 1), new(-8, 0.1, 2), new(-12, 10, 0), new(-16, 0.3, 1), new(-20, 0.5, 2), new(-24, 2, 1), new(-28, 5, 0), new(-32, 0.2, 2),
    ];

    public static int Max => All.Length;

    /// <summary>The first <paramref name="count"/> variants of the fixed list (the same copies every time).</summary>
    public static IReadOnlyList<HistoryVariant> First(int count) =>
        count >= 0 && count <= All.Length ? All[..count]
        : throw new ArgumentOutOfRangeException(nameof(count), $"history variants must be within [0, {All.Length}], got {count}.");

    public MarketHistory Apply(MarketHistory history)
    {
        if (Years % 4 != 0) throw new InvalidOperationException($"A history variant moves by a multiple of 4 years (leap days), not {Years}.");
        var chains = history.Series.Select(s => s.Chain).Order(StringComparer.Ordinal).ToList();
        string Rename(string chain)
        {
            var i = chains.IndexOf(chain);
            return i < 0 ? chain : chains[(i + ChainRotation) % chains.Count];
        }
        var series = history.Series.Select(s => new MarketSeries(Rename(s.Chain), [.. s.Days.Select(d => Move(d, Rename(d.Chain)))])).ToList();
        var labels = history.Labels.ToDictionary(kv => (Rename(kv.Key.Chain), kv.Key.Day.AddYears(Years)), kv => kv.Value);
        return new MarketHistory(series, labels);
    }

    /// <summary>Where a day of the copy came from: its day in the stored history.</summary>
    public DateOnly Original(DateOnly day) => day.AddYears(-Years);

    MarketDay Move(MarketDay d, string chain) => d with
    {
        Chain = chain,
        Day = d.Day.AddYears(Years),
        Metrics = d.Metrics.ToDictionary(kv => kv.Key, kv => kv.Key.EndsWith("_usd", StringComparison.Ordinal) ? kv.Value * PriceScale : kv.Value),
    };
}
