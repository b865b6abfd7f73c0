using Cortex1.Domain;

namespace Cortex1.Data.Tests;

public class StatisticsTests
{
    // Reference values from Python's statistics.stdev and statistics.correlation.
    [Fact]
    public void SampleStdDevAndPearsonMatchTheReference()
    {
        Assert.Equal(1.2909944487358056, Statistics.SampleStdDev([1, 2, 3, 4])!.Value, 14);
        Assert.Equal(0.9647638212377322, Statistics.Pearson([1, 2, 3, 4], [2, 4, 5, 9])!.Value, 14);
        Assert.Equal(-1, Statistics.Pearson([1, 2, 3], [3, 2, 1])!.Value, 14);
    }

    [Fact]
    public void UndefinedCasesAreNullNotNaN()
    {
        Assert.Null(Statistics.SampleStdDev([5]));
        Assert.Null(Statistics.Pearson([1], [2]));
        Assert.Null(Statistics.Pearson([1, 1, 1], [1, 2, 3]));   // a constant side has no correlation
        Assert.Throws<ArgumentException>(() => Statistics.Pearson([1, 2], [1, 2, 3]));
    }
}
