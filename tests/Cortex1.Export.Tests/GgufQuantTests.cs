using Cortex1.Model.Export;

namespace Cortex1.Export.Tests;

/// <summary>ggml's Q8_0 and Q4_0 block layouts, checked on a block worked out by hand (x_j = j − 16).</summary>
public sealed class GgufQuantTests
{
    static readonly float[] Block = Enumerable.Range(0, 32).Select(j => j - 16f).ToArray();

    [Fact]
    public void Q8BlockIsAnFp16ScaleThen32RoundedInt8s()
    {
        var b = GgufQuant.Encode(GgufType.Q8_0, Block);
        Assert.Equal(34, b.Length);
        Assert.Equal((Half)(16f / 127), BitConverter.ToHalf(b, 0));        // d = max|x| / 127
        Assert.Equal(-127, (sbyte)b[2]);                                     // x_0 = −16 → −127
        Assert.Equal(119, (sbyte)b[2 + 31]);                                 // 15·127/16 = 119.06 → 119
        Assert.Equal(0, (sbyte)b[2 + 16]);
        Assert.Equal(8, (sbyte)b[2 + 17]);                                   // 127/16 = 7.94 → 8
    }

    [Fact]
    public void Q4BlockPairsValueJWithValueJPlus16InOneByte()
    {
        var b = GgufQuant.Encode(GgufType.Q4_0, Block);
        Assert.Equal(18, b.Length);
        Assert.Equal((Half)2f, BitConverter.ToHalf(b, 0));                   // d = (value of largest magnitude, −16) / −8
        // q = min(15, trunc(x/d + 8.5)): x_0 = −16 → 0, x_16 = 0 → 8; byte 0 = q_0 | q_16 << 4.
        Assert.Equal(0x80, b[2]);
        // x_15 = −1 → trunc(8.0) = 8; x_31 = 15 → trunc(16.0) → 15.
        Assert.Equal(0xF8, b[2 + 15]);
        var back = GgufQuant.Decode(GgufType.Q4_0, b, 32);
        Assert.Equal(-16f, back[0]);                                         // (0 − 8)·2
        Assert.Equal(14f, back[31]);                                         // (15 − 8)·2
    }

    [Theory]
    [InlineData(GgufType.F16, 1e-3)]
    [InlineData(GgufType.Q8_0, 0.07)]
    [InlineData(GgufType.Q4_0, 1.0)]
    public void DecodeReturnsTheValuesWithinHalfAStep(GgufType type, double tolerance)
    {
        var rng = new Random(3);
        var x = Enumerable.Range(0, 256).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
        var y = GgufQuant.Decode(type, GgufQuant.Encode(type, x), x.Length);
        Assert.All(x.Zip(y), p => Assert.InRange(p.Second - p.First, -tolerance, tolerance));
        Assert.Equal(GgufQuant.ByteSize(type, x.Length), GgufQuant.Encode(type, x).Length);
    }
}
