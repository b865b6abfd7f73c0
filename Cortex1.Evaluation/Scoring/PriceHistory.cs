using Cortex1.Domain;

namespace Cortex1.Evaluation.Scoring;

/// <summary>
/// Daily closes (<see cref="MetricNames.CloseUsd"/>) of every chain, by day: the prompt windows and what happened after
/// them. A path stops at the first missing day, so a forecast is scored only against days that exist.
/// </summary>
public sealed class PriceHistory
{
    private readonly Dictionary<string, Dictionary<DateOnly, double>> _closes = new(StringComparer.Ordinal);

    public PriceHistory(IEnumerable<MarketSeries> series)
    {
        foreach (var s in series)
        {
            if (!_closes.TryGetValue(s.Chain, out var days)) _closes[s.Chain] = days = [];
            foreach (var d in s.Days)
                if (d.Get(MetricNames.CloseUsd) is { } c && c > 0) days[d.Day] = c;
        }
    }

    public double? Close(string chain, DateOnly day) =>
        _closes.TryGetValue(chain, out var days) && days.TryGetValue(day, out var c) ? c : null;

    /// <summary>Closes on <paramref name="from"/> and the <paramref name="days"/> days after it, up to the first missing day.</summary>
    public IReadOnlyList<double> Path(string chain, DateOnly from, int days)
    {
        var path = new List<double>(days + 1);
        for (int t = 0; t <= days && Close(chain, from.AddDays(t)) is { } c; t++) path.Add(c);
        return path;
    }
}
