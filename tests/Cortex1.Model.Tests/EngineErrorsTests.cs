using Cortex1.Model.Diagnostics;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>What a client is told about a libtorch failure: its first line, not the C++ backtrace.</summary>
public class EngineErrorsTests
{
    [Fact]
    public void A_libtorch_error_is_summarised_to_its_first_line_without_the_backtrace()
    {
        using var a = zeros(2, 3);
        using var b = zeros(4, 5);
        // add has TorchSharp's native catch (matmul does not: a failing matmul ends the process).
        var e = Assert.ThrowsAny<Exception>(() => a.add(b));
        Assert.Contains("frame #", e.Message);   // what libtorch hands us, so the test exercises a real one

        var summary = EngineErrors.Summary(e);

        Assert.NotEmpty(summary);
        Assert.StartsWith(summary, e.Message.TrimStart());
        Assert.DoesNotContain("frame #", summary);
        Assert.DoesNotContain("Exception raised from", summary);
        Assert.DoesNotContain('\n', summary);
    }

    [Fact]
    public void A_long_single_line_message_is_cut()
    {
        var summary = EngineErrors.Summary(new InvalidOperationException(new string('x', 5000)));
        Assert.True(summary.Length <= 401, $"{summary.Length} characters");
    }
}
