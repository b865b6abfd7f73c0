using Cortex1.Rewards.Facts;
using Cortex1.Rewards.Text;

namespace Cortex1.Rewards.Components;

internal enum ClaimKind { Equation, CitedValue, Prose }
internal enum Verdict { Verified, Ungrounded, Wrong }

/// <summary>One checked statement: a calculation, a cited value or a growth/average/ratio in prose.</summary>
internal readonly record struct Claim(ClaimKind Kind, Verdict Verdict, int Sentence, string Note);

/// <summary>
/// The checks several components need, run once per completion: every calculation re-evaluated and
/// its operands traced to the data, every cited value compared with its metric, prose claims
/// looked up among the derivable facts.
/// </summary>
internal sealed class Analysis
{
    private static readonly string[] ForwardSections = ["forecast", "recommend", "mitigation", "outlook", "opportunit", "risk"];

    public Document Doc { get; }
    public MarketFacts Facts { get; }
    public RewardContext Context { get; }
    public List<Claim> Claims { get; } = [];
    private readonly HashSet<string> _equations = new(StringComparer.Ordinal);
    /// <summary>Values of numbers used as operands in verified calculations (to credit citations used in arithmetic).</summary>
    public List<double> ArithmeticOperands { get; } = [];
    private List<IntervalCheck>? _intervals;
    /// <summary>The confidence intervals of the text, read on first use.</summary>
    public IReadOnlyList<IntervalCheck> Intervals => _intervals ??= ConfidenceIntervals.Read(this);

    public Analysis(Document doc, MarketFacts facts, RewardContext context)
    {
        Doc = doc;
        Facts = facts;
        Context = context;
        var computed = new List<double>();
        for (int i = 0; i < doc.Sentences.Count; i++)
        {
            var s = doc.Sentences[i];
            if (s.IsHeading) continue;
            bool equation = s.Text.Contains('=') || s.Text.Contains('≈');
            if (equation) CheckEquation(i, s, computed);
            CheckCitedValues(i, s);
            if (!equation) CheckProse(i, s);
        }
    }

    public bool InSection(Sentence s, ReadOnlySpan<string> prefixes)
    {
        if (s.Section < 0) return false;
        var h = Doc.Headings[s.Section];
        foreach (var p in prefixes) if (h.Contains(p, StringComparison.Ordinal)) return true;
        return false;
    }

    private void CheckEquation(int index, Sentence s, List<double> computed)
    {
        var t = s.Text;
        var operands = new List<NumberToken>();
        var values = new List<(double Value, NumberToken? Lone, int FirstOperand)>();
        int segStart = 0, exprStart = 0;
        while (segStart <= t.Length)
        {
            int sep = t.IndexOfAny(['=', '≈'], segStart);
            int segEnd = sep < 0 ? t.Length : sep;
            bool last = sep < 0;
            int first = operands.Count;
            if (Expression.TryEvaluate(t, segStart, segEnd, operands, out var v, out var stop) && (last || stop >= segEnd))
            {
                if (values.Count == 0) exprStart = segStart;
                values.Add((v, operands.Count - first == 1 ? operands[first] : null, first));
            }
            else if (values.Count > 0 && !last)
            {
                values.Clear(); // an unreadable middle segment breaks the chain; start again after it
                operands.Clear();
            }
            if (last) break;
            segStart = sep + 1;
        }
        if (values.Count < 2) return;
        // The same arithmetic under another label is one calculation, not two.
        if (!_equations.Add(t[exprStart..].Trim().ToLowerInvariant())) return;

        bool consistent = true;
        for (int k = 1; k < values.Count; k++)
            consistent &= Agree(values[k - 1], values[k]);
        if (!consistent)
        {
            Claims.Add(new Claim(ClaimKind.Equation, Verdict.Wrong, index, $"arithmetic does not hold: {Clip(t)}"));
            return;
        }

        // Operands are every number read, except lone numbers that merely restate the previous step's result.
        int substantive = 0;
        bool grounded = true;
        for (int k = 0; k < values.Count; k++)
        {
            if (k > 0 && values[k].Lone is not null) continue;
            int upTo = k + 1 < values.Count ? values[k + 1].FirstOperand : operands.Count;
            for (int o = values[k].FirstOperand; o < upTo; o++)
            {
                var n = operands[o];
                if (n.IsSmallConstant) continue;
                substantive++;
                if (!Facts.Derivable(n.Value, n.Tolerance) && !Near(computed, n)) grounded = false;
            }
        }
        if (substantive == 0) return; // 2 + 2 = 4 says nothing about the market
        if (RestatesAnOperand(values, operands)) return; // 1,746.62 × 1 = 1,746.62 computes nothing
        foreach (var v in values) computed.Add(v.Value);
        if (!grounded)
        {
            Claims.Add(new Claim(ClaimKind.Equation, Verdict.Ungrounded, index, $"operands not in the data: {Clip(t)}"));
            return;
        }
        foreach (var n in operands) ArithmeticOperands.Add(n.Value);
        Claims.Add(new Claim(ClaimKind.Equation, Verdict.Verified, index, Clip(t)));
    }

    private static bool RestatesAnOperand(List<(double Value, NumberToken? Lone, int FirstOperand)> values, List<NumberToken> operands)
    {
        double result = values[^1].Value;
        int end = values.Count > 1 ? values[1].FirstOperand : operands.Count;
        for (int o = values[0].FirstOperand; o < end; o++)
            if (!operands[o].IsSmallConstant && Math.Abs(operands[o].Value - result) <= operands[o].Tolerance) return true;
        return false;
    }

    /// <summary>Consecutive steps agree within the rounding of the shown result; a percent may equal a fraction ×100.</summary>
    private static bool Agree((double Value, NumberToken? Lone, int) a, (double Value, NumberToken? Lone, int) b)
    {
        double tol = Math.Max(b.Lone?.Tolerance ?? 0, a.Lone?.Tolerance ?? 0);
        tol = Math.Max(tol, 2e-3 * Math.Max(Math.Abs(a.Value), Math.Abs(b.Value))) + 1e-9;
        if (Math.Abs(a.Value - b.Value) <= tol) return true;
        bool percentInvolved = (a.Lone?.IsPercent ?? false) || (b.Lone?.IsPercent ?? false);
        return percentInvolved && (Math.Abs(a.Value - b.Value * 100) <= tol * 100 || Math.Abs(a.Value * 100 - b.Value) <= tol * 100);
    }

    private static bool Near(List<double> values, NumberToken n)
    {
        foreach (var v in values) if (Math.Abs(v - n.Value) <= n.Tolerance) return true;
        return false;
    }

    private void CheckCitedValues(int index, Sentence s)
    {
        foreach (var c in s.Citations)
        {
            if (c.Number < 0 || !Facts.MetricNames.Contains(c.Name)) continue;
            var n = s.Numbers[c.Number];
            // "down 35.65% [price_growth_30d]" states the size of a fall: the data holds -0.3565.
            bool ok = Facts.MetricHas(c.Name, n.Value, n.Tolerance)
                || (n.Value > 0 && s.Has(Topic.Down) && Facts.MetricHas(c.Name, -n.Value, n.Tolerance));
            Claims.Add(new Claim(ClaimKind.CitedValue, ok ? Verdict.Verified : Verdict.Wrong, index,
                ok ? $"[{c.Name}]" : $"{s.Text.AsSpan(n.Start, n.End - n.Start)} is not a value of [{c.Name}]"));
        }
    }

    private void CheckProse(int index, Sentence s)
    {
        if (s.Numbers.Count == 0 || !s.Has(Topic.ProseClaim) || s.Has(Topic.ForwardLooking) || InSection(s, ForwardSections))
            return;
        for (int k = 0; k < s.Numbers.Count; k++)
        {
            var n = s.Numbers[k];
            if (n.IsSmallConstant || IsCited(s, k)) continue;
            bool ok = Facts.Derivable(n.Value, n.Tolerance) || Facts.Derivable(-n.Value, n.Tolerance);
            Claims.Add(new Claim(ClaimKind.Prose, ok ? Verdict.Verified : Verdict.Ungrounded, index,
                ok ? "prose value matches the data" : $"{s.Text.AsSpan(n.Start, n.End - n.Start)} not derivable from the data"));
        }
    }

    private static bool IsCited(Sentence s, int number)
    {
        foreach (var c in s.Citations) if (c.Number == number) return true;
        return false;
    }

    public static string Clip(string s) => s.Length <= 70 ? s : string.Concat(s.AsSpan(0, 67), "...");
}
