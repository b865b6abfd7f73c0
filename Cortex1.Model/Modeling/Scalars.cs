using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>
/// Tensor ops that take a number, each holding its <see cref="Scalar"/> until libtorch has returned, and <c>add</c> with an
/// explicit, never-collected alpha. Engine code uses these instead of <c>x + 1e-6</c>, <c>x.pow(2)</c> or <c>a + b</c>,
/// whose Scalars TorchSharp 0.107 leaves to the garbage collector mid-call (see <see cref="Diagnostics.ScalarAudit"/>).
/// </summary>
public static class Scalars
{
    /// <summary>alpha = 1 for add: static, so reachable (never finalized) for the life of the process.</summary>
    static readonly Scalar One = 1.ToScalar();

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a += b.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a + value.</summary>
    public static Tensor Plus(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.add(s, One);
    }

    /// <summary>a += alpha · b.</summary>
    public static Tensor PlusScaledInPlace(this Tensor a, Tensor b, double alpha)
    {
        using var s = alpha.ToScalar();
        return a.add_(b, s);
    }

    /// <summary>a += value · b · c.</summary>
    public static Tensor PlusProductInPlace(this Tensor a, Tensor b, Tensor c, double value)
    {
        using var s = value.ToScalar();
        return a.addcmul_(b, c, s);
    }

    /// <summary>a += value · b / c.</summary>
    public static Tensor PlusQuotientInPlace(this Tensor a, Tensor b, Tensor c, double value)
    {
        using var s = value.ToScalar();
        return a.addcdiv_(b, c, s);
    }

    /// <summary>a ·= value.</summary>
    public static Tensor TimesInPlace(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.mul_(s);
    }

    /// <summary>a · value.</summary>
    public static Tensor Times(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.mul(s);
    }

    /// <summary>a / value.</summary>
    public static Tensor DividedBy(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.div(s);
    }

    /// <summary>a^exponent.</summary>
    public static Tensor Power(this Tensor a, double exponent)
    {
        using var s = exponent.ToScalar();
        return a.pow(s);
    }

    /// <summary>max(a, min).</summary>
    public static Tensor AtLeast(this Tensor a, double min)
    {
        using var s = min.ToScalar();
        return a.clamp_min(s);
    }

    /// <summary>a clamped into [min, max].</summary>
    public static Tensor ClampTo(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary>a with value where mask is true.</summary>
    public static Tensor Fill(this Tensor a, Tensor mask, double value)
    {
        using var s = value.ToScalar();
        return a.masked_fill(mask, s);
    }

    /// <summary>a with source's rows added at index along dim (out of place).</summary>
    public static Tensor IndexPlus(this Tensor a, long dim, Tensor index, Tensor source) => a.index_add(dim, index, source, One);

    /// <summary>a &lt; value.</summary>
    public static Tensor Below(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.lt(s);
    }

    /// <summary>a &gt; value.</summary>
    public static Tensor Above(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.gt(s);
    }


    /// <summary>[start, stop) as int64, from a managed array: torch.arange makes a hidden step Scalar.</summary>
    public static Tensor Range(long start, long stop, Device? device = null)
    {
        var values = new long[Math.Max(0, stop - start)];
        for (var i = 0; i < values.Length; i++) values[i] = start + i;
        return tensor(values, device: device);
    }
}
