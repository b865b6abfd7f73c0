using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model.Nf4;

/// <summary>Random NF4 weights made directly in their packed form, for benchmarks of full-size shapes.</summary>
public sealed partial class Nf4Tensor
{
    /// <summary>
    /// A weight of <paramref name="shape"/> whose codes are uniform over the 16 levels and whose blocks all have absmax
    /// <paramref name="absmax"/> (0.05 gives values of std ≈ 0.03, like a trained layer's). No dense tensor is made, so a
    /// 14B model's worth costs its 4.5 bits per weight and one pass of random bytes.
    /// </summary>
    public static Nf4Tensor Random(long[] shape, float absmax, TorchSharp.torch.Generator? generator = null, Device? device = null)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        if (n % BlockSize != 0) throw new ArgumentException($"NF4 needs a multiple of {BlockSize} elements; got {n}.");
        var packed = randint(0, 256, [n / 2], ScalarType.Byte, device, generator: generator).DetachFromDisposeScope();
        var scales = ones([n / BlockSize], ScalarType.Float32, device).TimesInPlace(absmax).DetachFromDisposeScope();
        return new Nf4Tensor(packed, scales, [.. shape]);
    }
}
