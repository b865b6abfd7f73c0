using Cortex1.Trainer.Runs;

namespace Cortex1.Trainer.Tests;

public class PromptOrderTests
{
    [Fact]
    public void EachEpochIsASeededShuffleOfThePromptsOwnToItsPhase()
    {
        const int n = 20;
        var sft = new PromptOrder(n, seed: 1234, "sft");
        var firstEpoch = Enumerable.Range(0, n).Select(sft.At).ToList();
        var secondEpoch = Enumerable.Range(n, n).Select(sft.At).ToList();

        Assert.Equal(Enumerable.Range(0, n), firstEpoch.Order());     // every prompt once per epoch
        Assert.Equal(Enumerable.Range(0, n), secondEpoch.Order());
        Assert.NotEqual(Enumerable.Range(0, n), firstEpoch);          // not the file order
        Assert.NotEqual(firstEpoch, secondEpoch);                     // reshuffled each epoch
        Assert.NotEqual(firstEpoch, Enumerable.Range(0, n).Select(new PromptOrder(n, 1234, "grpo").At));   // GRPO does not replay SFT's order
        Assert.NotEqual(firstEpoch, Enumerable.Range(0, n).Select(new PromptOrder(n, 99, "sft").At));      // the seed decides it
        Assert.Equal(firstEpoch, Enumerable.Range(0, n).Select(new PromptOrder(n, 1234, "sft").At));       // and only the seed: a resume draws the same
        Assert.Equal([.. firstEpoch.Skip(6).Take(3)], sft.Batch(step: 2, size: 3));
    }
}
