namespace Cortex1.Rewards.Text;

/// <summary>
/// Evaluates the arithmetic people write in reports: <c>(1,745.01 − 1,641.97) / 1,641.97 × 100</c>,
/// <c>2.1% × √365</c>. Currency signs, <c>USD</c> and <c>[metric]</c> annotations are skipped; any
/// other word ends the expression. Every number read is reported as an operand so it can be checked
/// against the data.
/// </summary>
internal ref struct Expression
{
    private readonly string _s;
    private readonly int _end;
    private int _pos;
    private readonly List<NumberToken> _operands;
    private bool _failed;
    private int _depth;
    /// <summary>Deeper nesting is not arithmetic anyone writes, and unbounded recursion could overflow the stack.</summary>
    private const int MaxDepth = 64;

    private Expression(string s, int start, int end, List<NumberToken> operands)
    {
        _s = s; _pos = start; _end = end; _operands = operands;
    }

    /// <summary>
    /// Reads the longest expression starting at <paramref name="start"/>. <paramref name="stop"/> is
    /// where it ended (after trailing annotations), so callers can tell a whole segment from a prefix.
    /// </summary>
    public static bool TryEvaluate(string s, int start, int end, List<NumberToken> operands, out double value, out int stop)
    {
        var e = new Expression(s, start, end, operands);
        int before = operands.Count;
        value = e.Sum();
        e.SkipIgnorable();
        stop = e._pos;
        bool ok = !e._failed && operands.Count > before && double.IsFinite(value);
        if (!ok) operands.RemoveRange(before, operands.Count - before);
        return ok;
    }

    private double Sum()
    {
        double v = Product();
        while (!_failed)
        {
            SkipIgnorable();
            if (_pos >= _end) break;
            char c = _s[_pos];
            if (c == '+') { _pos++; v += Product(); }
            else if (NumberScanner.IsMinus(c)) { _pos++; v -= Product(); }
            else break;
        }
        return v;
    }

    private double Product()
    {
        double v = Power();
        while (!_failed)
        {
            SkipIgnorable();
            if (_pos >= _end) break;
            char c = _s[_pos];
            bool timesX = c == 'x' && _pos + 1 < _end && _s[_pos + 1] == ' ' && _pos > 0 && _s[_pos - 1] == ' ';
            if (c is '*' or '×' or '·' || timesX) { _pos++; v *= Power(); }
            else if (c is '/' or '÷') { _pos++; double d = Power(); v = d == 0 ? Fail() : v / d; }
            else break;
        }
        return v;
    }

    private double Power()
    {
        double b = Unary();
        SkipIgnorable();
        if (!_failed && _pos < _end && _s[_pos] == '^') { _pos++; return Math.Pow(b, Unary()); }
        return b;
    }

    private double Unary()
    {
        if (++_depth > MaxDepth) return Fail();
        try { return UnaryCore(); }
        finally { _depth--; }
    }

    private double UnaryCore()
    {
        SkipIgnorable();
        if (_pos >= _end) return Fail();
        char c = _s[_pos];
        if (NumberScanner.IsMinus(c)) { _pos++; return -Unary(); }
        if (c == '+') { _pos++; return Unary(); }
        return Primary();
    }

    private double Primary()
    {
        SkipIgnorable();
        if (_pos >= _end) return Fail();
        char c = _s[_pos];
        if (c == '(')
        {
            _pos++;
            double v = Sum();
            SkipIgnorable();
            if (_pos < _end && _s[_pos] == ')') _pos++; else return Fail();
            return v;
        }
        if (c == '√') { _pos++; double v = Unary(); return v < 0 ? Fail() : Math.Sqrt(v); }
        if (StartsWith("sqrt")) { _pos += 4; double v = Primary(); return v < 0 ? Fail() : Math.Sqrt(v); }
        if (StartsWith("ln")) { _pos += 2; double v = Primary(); return v <= 0 ? Fail() : Math.Log(v); }
        if (char.IsAsciiDigit(c) && NumberScanner.TryRead(_s, _pos, out var n, out var end) && end <= _end)
        {
            _operands.Add(n);
            _pos = end;
            // The scanner folds a unary sign into the number; the parser has applied it already.
            return Math.Abs(n.Value);
        }
        return Fail();
    }

    private bool StartsWith(string word) =>
        _pos + word.Length <= _end && string.CompareOrdinal(_s, _pos, word, 0, word.Length) == 0;

    private void SkipIgnorable()
    {
        while (_pos < _end)
        {
            char c = _s[_pos];
            if (c is ' ' or '\t' or '$' or '*' && !(c == '*' && IsOperatorStar())) { _pos++; continue; }
            if (c == '[')
            {
                int close = _s.IndexOf(']', _pos);
                if (close > 0 && close < _end && Document.IsMetricName(_s.AsSpan(_pos + 1, close - _pos - 1))) { _pos = close + 1; continue; }
            }
            if (StartsWith("USD")) { _pos += 3; continue; }
            break;
        }
    }

    /// <summary>"**" is markdown bold; a single "*" between operands is multiplication.</summary>
    private readonly bool IsOperatorStar() =>
        !(_pos + 1 < _end && _s[_pos + 1] == '*') && !(_pos > 0 && _s[_pos - 1] == '*');

    private double Fail()
    {
        _failed = true;
        return double.NaN;
    }
}
