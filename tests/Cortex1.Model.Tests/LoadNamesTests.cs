using Cortex1.Model.Loading;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>The one name ↔ enum mapping for quantisations and dtypes that configuration, CLIs and benches parse with.</summary>
public class LoadNamesTests
{
    [Theory]
    [InlineData("nf4", Quantization.Nf4)]
    [InlineData(" NF4 ", Quantization.Nf4)]
    [InlineData("none", Quantization.None)]
    [InlineData("None", Quantization.None)]
    public void QuantizationNamesParse(string name, Quantization expected)
    {
        Assert.True(QuantizationName.TryParse(name, out var q));
        Assert.Equal(expected, q);
        Assert.Equal(expected, QuantizationName.Parse(name));
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("1")]   // Enum.TryParse would take a number; a name must be a name
    public void UnknownQuantizationIsRefusedWithTheNames(string? name)
    {
        Assert.False(QuantizationName.TryParse(name, out _));
        var e = Assert.Throws<FormatException>(() => QuantizationName.Parse(name));
        Assert.Contains("none, nf4", e.Message);
    }

    [Fact]
    public void EveryQuantizationHasANameThatParsesBack()
    {
        foreach (var q in Enum.GetValues<Quantization>()) Assert.Equal(q, QuantizationName.Parse(QuantizationName.Of(q)));
        Assert.Equal(Enum.GetValues<Quantization>().Length, QuantizationName.All.Count);
    }

    [Theory]
    [InlineData("float32", ScalarType.Float32)]
    [InlineData("fp32", ScalarType.Float32)]
    [InlineData("BF16", ScalarType.BFloat16)]
    [InlineData("bfloat16", ScalarType.BFloat16)]
    [InlineData("half", ScalarType.Float16)]
    [InlineData("fp16", ScalarType.Float16)]
    public void DTypeNamesParse(string name, ScalarType expected) => Assert.Equal(expected, DTypeName.Parse(name));

    [Fact]
    public void DTypesWriteHuggingFaceNamesThatParseBack()
    {
        Assert.Equal("bfloat16", DTypeName.Of(ScalarType.BFloat16));
        Assert.Equal("float32", DTypeName.Of(ScalarType.Float32));
        Assert.Equal("float16", DTypeName.Of(ScalarType.Float16));
        foreach (var name in DTypeName.All) Assert.Equal(name, DTypeName.Of(DTypeName.Parse(name)));
        Assert.Throws<ArgumentException>(() => DTypeName.Of(ScalarType.Int64));
        Assert.False(DTypeName.TryParse("int8", out _));
    }
}
