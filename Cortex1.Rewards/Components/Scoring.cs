namespace Cortex1.Rewards.Components;

/// <summary>Small helpers every component uses to turn counts into scores.</summary>
internal static class Scoring
{
    public static double Clamp01(double x) => double.IsFinite(x) ? Math.Clamp(x, 0, 1) : 0;

    /// <summary>Full credit needs <paramref name="wanted"/> items; fewer earn proportionally less.</summary>
    public static double Enough(double have, double wanted) => Clamp01(have / wanted);

    public static ComponentScore Result(double score, string explanation) => new(Math.Round(Clamp01(score), 4), explanation);

    /// <summary>Mean of the best <paramref name="take"/> scores.</summary>
    public static double MeanOfBest(List<double> scores, int take)
    {
        if (scores.Count == 0) return 0;
        scores.Sort();
        double sum = 0;
        int n = Math.Min(take, scores.Count);
        for (int i = 0; i < n; i++) sum += scores[^(i + 1)];
        return sum / n;
    }
}
