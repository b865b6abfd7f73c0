using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Model.Nf4;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

public class LoraTests
{
    static readonly int[] Tokens = [3, 14, 15, 92, 65, 35, 89, 79];

    [Fact]
    public void FreshAdapterWithZeroBChangesNothing()
    {
        using var model = TinyModels.Load("qwen2");
        var baseLogits = TinyModels.FullLogits(model, Tokens);
        model.AddAdapter("a", new LoraConfig(4, 8, 0));
        Assert.Equal(baseLogits[^1], TinyModels.FullLogits(model, Tokens, "a")[^1]);
    }

    /// <summary>Trains a LoRA over a frozen NF4 base for a few SGD steps, then checks: the base is untouched and still
    /// reachable (adapter off), PEFT save→load reproduces the adapter's logits, the names are PEFT's, and merge works.</summary>
    [Theory]
    [InlineData("phi3", "qkv_proj")]
    [InlineData("llama", "q_proj")]
    public void TrainedAdapterRoundTripsThroughPeft(string family, string attnModule)
    {
        using var model = TinyModels.Load(family, Quantization.Nf4);
        var before = TinyModels.FullLogits(model, Tokens)[^1];
        var parameters = model.AddAdapter("policy", new LoraConfig(4, 8, 0.0), seed: 3);
        using var opt = optim.SGD(parameters, 0.5);
        using var ids = tensor(Tokens.Select(t => (long)t).ToArray(), [1, Tokens.Length]);
        for (var step = 0; step < 3; step++)
        {
            opt.zero_grad();
            using var logits = model.Forward(ids, adapter: "policy");
            using var loss = nn.functional.cross_entropy(logits[0, ..^1].to(ScalarType.Float32), ids[0, 1..]);
            loss.backward();
            opt.step();
        }
        Assert.False(model.Decoder.Embedding!.requires_grad);
        var trained = TinyModels.FullLogits(model, Tokens, "policy")[^1];
        Assert.True(TinyModels.MaxAbsDiff(before, trained) > 1e-3, "training should move the logits");
        Assert.Equal(before, TinyModels.FullLogits(model, Tokens)[^1]);   // adapter off = base model

        var dir = TinyModels.NewFolder("peft");
        model.SaveAdapter("policy", dir);
        using (var f = new SafeTensorsFile(Path.Combine(dir, PeftFormat.WeightsFile)))
        {
            Assert.Contains($"base_model.model.model.layers.0.self_attn.{attnModule}.lora_A.weight", f.Tensors.Keys);
            Assert.Equal([4L, model.Config.HiddenSize], f.Tensors[$"base_model.model.model.layers.0.self_attn.{attnModule}.lora_A.weight"].Shape);
            Assert.Contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", f.Tensors.Keys);
        }
        using var fresh = TinyModels.Load(family, Quantization.Nf4);
        fresh.LoadAdapter("loaded", dir);
        Assert.Equal(["loaded"], fresh.Adapters);
        Assert.True(TinyModels.MaxAbsDiff(trained, TinyModels.FullLogits(fresh, Tokens, "loaded")[^1]) < 1e-5);

        // Cache path with the adapter on a sequence gives the same logits as the batch forward.
        using (var cache = fresh.NewCache("loaded"))
            Assert.True(TinyModels.MaxAbsDiff(trained, fresh.Prefill(cache, Tokens)) < 1e-4);

        fresh.UnloadAdapter("loaded");
        Assert.Empty(fresh.Adapters);
        Assert.Equal(before, TinyModels.FullLogits(fresh, Tokens)[^1]);

        // Merge into a full-precision copy: the merged model alone reproduces base+adapter.
        var merged = TinyModels.NewFolder("merged");
        model.Save(merged, ScalarType.Float32, mergeAdapter: "policy");
        using var m = LanguageModel.Load(merged, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu"));
        Assert.True(TinyModels.MaxAbsDiff(trained, TinyModels.FullLogits(m, Tokens)[^1]) < 1e-3);
    }

    [Fact]
    public void BatchedDecodeRoutesEachSequenceToItsAdapter()
    {
        using var model = TinyModels.Load("llama");
        var ps = model.AddAdapter("x", new LoraConfig(2, 4, 0), seed: 1);
        using (no_grad()) foreach (var p in ps) p.normal_(0, 0.3);   // non-zero B so the adapter matters
        var caches = new[] { model.NewCache("x"), model.NewCache(null), model.NewCache("x") };
        foreach (var c in caches) model.Prefill(c, [1, 2, 3]);
        var batched = model.DecodeStep(caches, [4, 4, 4]);
        Assert.Equal(batched[0], batched[2]);
        Assert.True(TinyModels.MaxAbsDiff(batched[0], batched[1]) > 1e-3);
        Assert.True(TinyModels.MaxAbsDiff(batched[1], TinyModels.FullLogits(model, [1, 2, 3, 4])[^1]) < 1e-4);
        foreach (var c in caches) c.Dispose();
    }

    [Fact]
    public void PrefillOfSeveralPromptsInOneForwardEqualsOneByOne()
    {
        // Different lengths, a base sequence between two adapter ones, and a cache that already holds tokens.
        using var model = TinyModels.Load("llama");
        var ps = model.AddAdapter("x", new LoraConfig(2, 4, 0), seed: 1);
        using (no_grad()) foreach (var p in ps) p.normal_(0, 0.3);
        int[][] prompts = [[1, 2, 3, 4, 5], [9, 8], [7, 7, 7, 7, 7, 7, 7]];
        string?[] adapters = ["x", null, "x"];
        var caches = adapters.Select(a => model.NewCache(a)).ToList();
        model.Prefill(caches[2], [42, 43]);
        var together = model.Extend(caches, prompts);

        for (var i = 0; i < prompts.Length; i++)
        {
            using var alone = model.NewCache(adapters[i]);
            if (i == 2) model.Prefill(alone, [42, 43]);
            var expected = model.Prefill(alone, prompts[i]);
            Assert.True(TinyModels.MaxAbsDiff(expected, together[i]) < 1e-4, $"sequence {i}");
            // The caches hold the same state: the next decode step agrees too.
            Assert.True(TinyModels.MaxAbsDiff(model.DecodeStep([alone], [11])[0], model.DecodeStep([caches[i]], [11])[0]) < 1e-4);
        }
        Assert.True(TinyModels.MaxAbsDiff(together[0], together[2]) > 1e-3);
        foreach (var c in caches) c.Dispose();
    }

    [Fact]
    public void AnUnknownAdapterNameIsRefusedRatherThanRunningTheBase()
    {
        using var model = TinyModels.Load("llama");
        using var ids = tensor(new long[] { 1, 2, 3 }, [1, 3]);
        Assert.Throws<KeyNotFoundException>(() => model.Forward(ids, adapter: "nope"));
        Assert.Throws<KeyNotFoundException>(() => model.ForwardGroup([1, 2], [[3]], "nope"));
        Assert.Throws<KeyNotFoundException>(() => model.NewCache("nope"));
    }

    [Fact]
    public void FreshCachesGivenTheSamePromptShareOnePrefillAndThenGoTheirOwnWays()
    {
        // A request's n choices: the same prompt and adapter in fresh caches. A base-model copy must not share with them.
        using var model = TinyModels.Load("llama");
        var ps = model.AddAdapter("x", new LoraConfig(2, 4, 0), seed: 1);
        using (no_grad()) foreach (var p in ps) p.normal_(0, 0.3);
        int[] prompt = [4, 8, 15, 16, 23, 42];
        var caches = new[] { model.NewCache("x"), model.NewCache("x"), model.NewCache(null), model.NewCache("x") };
        var together = model.Extend(caches, [prompt, prompt, prompt, prompt]);

        using var alone = model.NewCache("x");
        var expected = model.Prefill(alone, prompt);
        foreach (var i in new[] { 0, 1, 3 }) Assert.True(TinyModels.MaxAbsDiff(expected, together[i]) < 1e-4, $"sequence {i}");
        Assert.True(TinyModels.MaxAbsDiff(expected, together[2]) > 1e-3, "the base-model cache was prefilled on its own");
        Assert.All(caches, c => Assert.Equal(prompt, c.Tokens));

        // Different next tokens: each copied cache now holds its own continuation.
        var next = model.DecodeStep([caches[0], caches[1]], [5, 6]);
        Assert.True(TinyModels.MaxAbsDiff(model.DecodeStep([alone], [6])[0], next[1]) < 1e-4);
        foreach (var c in caches) c.Dispose();
    }
}
