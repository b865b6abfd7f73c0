namespace Cortex1.Domain;

/// <summary>
/// Sample statistics that Ingest's derived metrics, Synth's offline analyst and the reward system's facts must define
/// alike (a volatility or correlation a teacher cites is checked against the same formula), so they live once.
/// </summary>
public static class Statistics
{
    /// <summary>Sample standard deviation (n − 1); null for fewer than two values.</summary>
    public static double? SampleStdDev(ReadOnlySpan<double> xs)
    {
        if (xs.Length < 2) return null;
        double mean = 0, ss = 0;
        foreach (var x in xs) mean += x;
        mean /= xs.Length;
        foreach (var x in xs) ss += (x - mean) * (x - mean);
        return Math.Sqrt(ss / (xs.Length - 1));
    }

    /// <summary>Pearson correlation of paired values; null when there are fewer than two pairs or either side is constant.</summary>
    public static double? Pearson(ReadOnlySpan<double> xs, ReadOnlySpan<double> ys)
    {
        if (xs.Length != ys.Length) throw new ArgumentException($"Pearson needs pairs: {xs.Length} x values, {ys.Length} y values.", nameof(ys));
        if (xs.Length < 2) return null;
        double mx = 0, my = 0;
        for (var i = 0; i < xs.Length; i++) { mx += xs[i]; my += ys[i]; }
        mx /= xs.Length;
        my /= ys.Length;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < xs.Length; i++)
        {
            sxy += (xs[i] - mx) * (ys[i] - my);
            sxx += (xs[i] - mx) * (xs[i] - mx);
            syy += (ys[i] - my) * (ys[i] - my);
        }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : null;
    }
}
