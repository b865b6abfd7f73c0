namespace Cortex1.Rewards.Text;

/// <summary>
/// A number as written in the text. <see cref="Value"/> is in data units: percents become
/// fractions (6.28% → 0.0628) and k/M/B/T suffixes are applied, so it compares directly with
/// metric values. <see cref="HalfUnit"/> is half the last shown digit in the same units: the
/// rounding a correct writer may have applied.
/// </summary>
internal readonly record struct NumberToken(double Value, double HalfUnit, bool IsPercent, bool IsPlainInteger, int Start, int End)
{
    /// <summary>z-scores of common confidence levels and √365: constants of the trade, not data.</summary>
    private static readonly double[] KnownConstants = [1.282, 1.645, 1.96, 2.326, 2.576, 19.105];

    /// <summary>Day counts, 100, 365, z-scores… used as constants in arithmetic, not as data.</summary>
    public bool IsSmallConstant
    {
        get
        {
            if (IsPlainInteger && Math.Abs(Value) <= 400) return true;
            if (IsPercent) return false;
            foreach (var k in KnownConstants)
                if (Math.Abs(Value - k) <= HalfUnit * 1.0001) return true;
            return false;
        }
    }

    /// <summary>How far from a true value this number may be and still be a correct rounding of it.</summary>
    public double Tolerance => Math.Max(HalfUnit * 1.0001, Math.Abs(Value) * 1e-3) + 1e-12;
}

/// <summary>A <c>[metric_name]</c> citation; <see cref="Number"/> is the index of the number it sources, or -1.</summary>
internal readonly record struct CitationToken(string Name, int Start, int End, int Number);

/// <summary>An ISO date (<c>2021-01-31</c>) in the text.</summary>
internal readonly record struct DateToken(DateOnly Day, int Start, int End);
