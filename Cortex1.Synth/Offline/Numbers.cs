using System.Globalization;

namespace Cortex1.Synth.Offline;

/// <summary>
/// Number formats the reward system reads back: at least four significant digits for values copied
/// from the data (so a calculation's operands match the stored values), percents with two decimals.
/// </summary>
public static class Numbers
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A data value with thousands separators and ≥ 4 significant digits: 1,746.62 · 0.9512.</summary>
    public static string Value(double x)
    {
        if (x == 0) return "0.00";
        var magnitude = (int)Math.Floor(Math.Log10(Math.Abs(x)));
        var decimals = Math.Clamp(3 - magnitude, 2, 8);
        return x.ToString("N" + decimals, Invariant);
    }

    public static string Usd(double x) => (x < 0 ? "-$" : "$") + Value(Math.Abs(x));

    /// <summary>A fraction as a percent: 0.2758 → 27.58%.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.00", Invariant) + "%";

    /// <summary>A signed percent for intervals: -4.10% · 12.50%.</summary>
    public static string Ratio(double x) => x.ToString("0.0000", Invariant);

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", Invariant);
}
