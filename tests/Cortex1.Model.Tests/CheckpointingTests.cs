using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Model.Tiny;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>Gradient checkpointing per decoder layer: the same loss and LoRA gradients as keeping the activations, for
/// less memory held between forward and backward; and training forwards without a dense mask where causal suffices.</summary>
[Collection(HeapMeasurements.Isolated)]
public class CheckpointingTests
{
    static readonly Lazy<string> Folder = new(() => TinyModel.Create(TinyModels.NewFolder("ckpt"), "llama", seed: 7,
        new TinyModelOptions(HiddenSize: 256, Layers: 4, Heads: 4, KvHeads: 2, IntermediateSize: 1024, VocabSize: 8192)));

    static (LanguageModel Model, IReadOnlyList<Parameter> Weights) Load(double dropout)
    {
        var model = LanguageModel.Load(Folder.Value, new LoadOptions(Quantization.Nf4, ScalarType.Float32, "cpu"));
        var weights = model.AddAdapter("policy", new LoraConfig(4, 8, dropout), seed: 3);
        using (no_grad()) foreach (var p in weights) p.normal_(0, 0.05);   // B ≠ 0, so A gets a gradient too
        return (model, weights);
    }

    /// <summary>One training forward and backward (a right-padded batch and a GRPO group); the loss and each LoRA
    /// weight's gradient. Dropout draws from a seeded stream, which checkpointing must replay for the recomputation.</summary>
    static (float Loss, float[][] Grads) Step(LanguageModel model, IReadOnlyList<Parameter> weights)
    {
        manual_seed(11);
        using var scope = NewDisposeScope();
        foreach (var p in weights) p.grad?.zero_();
        var ids = tensor(new long[] { 5, 9, 200, 7, 31, 8, 77, 1000, 3, 14, 15, 92 }, [2, 6]);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 6]);
        var logits = model.Forward(ids, mask, "policy", keepLast: 4).log_softmax(-1);
        var group = model.ForwardGroup([5, 9, 200, 7], [[31, 8], [77, 1000, 3]], "policy").log_softmax(-1);
        var loss = logits[.., .., 100].mean() + group[.., 42].mean();
        loss.backward();
        return (loss.item<float>(), [.. weights.Select(p => p.grad!.data<float>().ToArray())]);
    }

    [Fact]
    public void CheckpointedLayersGiveTheSameLossAndGradients()
    {
        var (model, weights) = Load(dropout: 0.1);
        using var _ = model;
        Assert.False(model.Decoder.GradientCheckpointing, "a tiny model keeps its activations by default");
        var plain = Step(model, weights);
        model.Decoder.GradientCheckpointing = true;
        var checkpointed = Step(model, weights);
        var again = Step(model, weights);

        Assert.Equal(plain.Loss, checkpointed.Loss, 1e-6f);
        Assert.Equal(checkpointed.Loss, again.Loss);
        for (var i = 0; i < weights.Count; i++)
        {
            var scale = plain.Grads[i].Max(Math.Abs);
            Assert.True(scale > 0, $"weight {i} got no gradient");
            Assert.True(TinyModels.MaxAbsDiff(plain.Grads[i], checkpointed.Grads[i]) <= 1e-5f * Math.Max(1, scale), $"weight {i}");
        }
    }

    /// <summary>What the graph holds between forward and backward at 128 tokens: every layer's activations without
    /// checkpointing, one [T, hidden] input per layer with it.</summary>
    [Fact]
    public void CheckpointingHoldsLessBetweenForwardAndBackward()
    {
        var (model, weights) = Load(dropout: 0);
        using var _ = model;
        using var ids = randint(10, 5000, [1, 128], ScalarType.Int64, generator: new Generator(5UL));
        long Held(bool checkpointing)
        {
            model.Decoder.GradientCheckpointing = checkpointing;
            using var scope = NewDisposeScope();
            var before = HeapMeasurements.InUseBytes();
            var logits = model.Forward(ids, adapter: "policy", keepLast: 1);
            var held = HeapMeasurements.InUseBytes() - before;
            logits.sum().backward();
            foreach (var p in weights) p.grad!.zero_();
            return held;
        }
        Held(false);   // the first pass allocates the gradients; measure the second
        var plain = Held(false);
        var checkpointed = Held(true);
        // Per layer and token: hidden 256 × 4 bytes saved as the checkpoint vs tens of KB of activations.
        Assert.True(checkpointed * 4 < plain, $"held {checkpointed / 1e6:F1} MB with checkpointing, {plain / 1e6:F1} MB without");
    }

    /// <summary>A right-padded batch runs as plain causal attention (no [T, T] mask); its real rows' logits equal each
    /// sequence's own unpadded forward, as a left-padded batch's (which keeps the mask) do.</summary>
    [Fact]
    public void RightPaddedBatchRunsCausalWithTheSameLogits()
    {
        var (model, _) = Load(dropout: 0);
        using var __ = model;
        using var ___ = no_grad();
        long[] first = [5, 9, 200, 7, 31, 8], second = [77, 1000, 3, 14];
        using var alone1 = model.Forward(tensor(first, [1, 6]), adapter: "policy");
        using var alone2 = model.Forward(tensor(second, [1, 4]), adapter: "policy");

        using var right = model.Forward(tensor(first.Concat(second).Concat([0L, 0L]).ToArray(), [2, 6]),
            tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 6]), "policy");
        using var left = model.Forward(tensor(first.Concat([0L, 0L]).Concat(second).ToArray(), [2, 6]),
            tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1 }, [2, 6]), "policy");

        Assert.True((right[0] - alone1[0]).abs().max().item<float>() < 1e-4f);
        Assert.True((right[1, ..4] - alone2[0]).abs().max().item<float>() < 1e-4f);
        Assert.True((left[1, 2..] - alone2[0]).abs().max().item<float>() < 1e-4f);
    }
}
