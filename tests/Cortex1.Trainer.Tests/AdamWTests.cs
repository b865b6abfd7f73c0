using Cortex1.Trainer.Grpo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = Cortex1.Trainer.Grpo.AdamW;

namespace Cortex1.Trainer.Tests;

/// <summary>Our AdamW against TorchSharp's (the reference implementation of torch.optim.AdamW), and its checkpoint.</summary>
public class AdamWTests
{
    static Parameter NewParameter(int seed) =>
        new(randn([4, 3], generator: new Generator((ulong)seed)), requires_grad: true);

    /// <summary>A loss with a non-trivial gradient: Σ (θ·x − y)² for fixed x, y.</summary>
    static void Backward(Parameter theta)
    {
        using var scope = NewDisposeScope();
        var x = linspace(-1, 1, 8).reshape(2, 4);
        var y = ones(2, 3);
        (x.matmul(theta) - y).square().sum().backward();
    }

    [Fact]
    public void Steps_match_torch_optim_AdamW()
    {
        using var ours = NewParameter(7);
        using var theirs = NewParameter(7);
        using var adamw = new AdamW([ours], learningRate: 0.05, weightDecay: 0.1);
        using var reference = optim.AdamW([theirs], lr: 0.05, weight_decay: 0.1);
        for (var step = 0; step < 20; step++)
        {
            adamw.ZeroGrad(); Backward(ours); adamw.Step();
            reference.zero_grad(); Backward(theirs); reference.step();
        }
        var a = ours.data<float>().ToArray();
        var b = theirs.data<float>().ToArray();
        Assert.NotEqual(NewParameter(7).data<float>().ToArray(), a);   // it moved
        for (var i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 5);
    }

    [Fact]
    public void A_run_resumed_from_a_saved_state_continues_exactly()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"cortex1-adamw-{Guid.NewGuid():N}");
        try
        {
            using var straight = NewParameter(3);
            using var straightOpt = new AdamW([straight], learningRate: 0.05);
            for (var s = 0; s < 10; s++) { straightOpt.ZeroGrad(); Backward(straight); straightOpt.Step(); }

            using var first = NewParameter(3);
            using (var firstOpt = new AdamW([first], learningRate: 0.05))
            {
                for (var s = 0; s < 5; s++) { firstOpt.ZeroGrad(); Backward(first); firstOpt.Step(); }
                firstOpt.Save(folder);
            }
            using var resumed = new AdamW([first], learningRate: 0.05);
            Assert.True(resumed.Load(folder));
            Assert.Equal(5, resumed.Steps);
            for (var s = 0; s < 5; s++) { resumed.ZeroGrad(); Backward(first); resumed.Step(); }

            Assert.Equal(straight.data<float>().ToArray(), first.data<float>().ToArray());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Loading_a_state_for_other_parameters_is_refused()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"cortex1-adamw-{Guid.NewGuid():N}");
        try
        {
            using var one = NewParameter(1);
            using (var opt = new AdamW([one], learningRate: 0.01)) opt.Save(folder);
            using var two = NewParameter(2);
            using var three = NewParameter(3);
            using var other = new AdamW([two, three], learningRate: 0.01);
            Assert.Throws<InvalidDataException>(() => other.Load(folder));
            Assert.False(new AdamW([two], learningRate: 0.01).Load(folder + "-missing"));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
