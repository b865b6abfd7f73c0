using System.Text.RegularExpressions;

namespace Cortex1.Evaluation.Forecasts;

/// <summary>A horizon found in text: its length in days and where it was written.</summary>
public readonly record struct Horizon(int Days, int Start, int End);

/// <summary>
/// Reads forecast horizons: <c>7-day</c>, <c>7 days</c>, <c>7d</c>, <c>two weeks</c>, <c>1-month</c>, <c>next week</c>,
/// <c>tomorrow</c>, <c>24 hours</c>. A month counts 30 days, a week 7.
/// </summary>
public static partial class Horizons
{
    [GeneratedRegex(@"\b(?<n>\d{1,3}|one|two|three|four|five|six|seven|a)[\s-]*(?<unit>days?|d|weeks?|wks?|w|months?|mo|hours?|hrs?|h)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Counted();

    [GeneratedRegex(@"\b(?<word>next week|next month|next day|tomorrow|weekly|monthly|the week ahead|the month ahead)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Named();

    public static IReadOnlyList<Horizon> Find(string text)
    {
        var list = new List<Horizon>();
        foreach (Match m in Counted().Matches(text))
        {
            int n = Count(m.Groups["n"].Value);
            var unit = m.Groups["unit"].Value.ToLowerInvariant();
            int days = unit[0] switch
            {
                'd' => n,
                'w' => n * 7,
                'm' => n * 30,
                _ => n % 24 == 0 ? n / 24 : 0,   // hours: whole days only (the data is daily)
            };
            if (days is > 0 and <= 400) list.Add(new Horizon(days, m.Index, m.Index + m.Length));
        }
        foreach (Match m in Named().Matches(text))
        {
            int days = m.Groups["word"].Value.ToLowerInvariant() switch
            {
                "next week" or "weekly" or "the week ahead" => 7,
                "next month" or "monthly" or "the month ahead" => 30,
                _ => 1,
            };
            list.Add(new Horizon(days, m.Index, m.Index + m.Length));
        }
        return [.. list.OrderBy(h => h.Start)];
    }

    private static int Count(string n) => n.ToLowerInvariant() switch
    {
        "a" or "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        var digits => int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture),
    };
}
