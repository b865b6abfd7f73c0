using Cortex1.Model.Diagnostics;
using Cortex1.Trainer.Grpo;

namespace Cortex1.Trainer.Tests;

/// <summary>The trainer never leaves a TorchSharp Scalar to the garbage collector mid-op (see <see cref="ScalarAudit"/>).</summary>
public class ScalarLifetimeTests
{
    [Fact]
    public void The_trainer_leaves_no_Scalar_to_the_collector()
    {
        var found = ScalarAudit.Find(typeof(GrpoTrainer).Assembly);
        Assert.True(found.Count == 0, "GC-owned Scalars in Cortex1.Trainer:\n" + string.Join("\n", found));
    }
}
