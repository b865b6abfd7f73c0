using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

public class DecoderTests
{
    static readonly int[] Tokens = [5, 17, 99, 3, 250, 42, 7, 130, 64, 11];

    /// <summary>Prefill of a prefix, then token-by-token decode through the KV cache, gives the full forward's logits
    /// (fp32; tolerance 1e-4 absolute on logits of magnitude ~1).</summary>
    [Theory]
    [InlineData("phi3")]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public void KvCacheDecodeEqualsFullForward(string family)
    {
        using var model = TinyModels.Load(family);
        var full = TinyModels.FullLogits(model, Tokens);
        using var cache = model.NewCache();
        var logits = model.Prefill(cache, Tokens.AsSpan(0, 4));
        Assert.True(TinyModels.MaxAbsDiff(full[3], logits) < 1e-4);
        for (var i = 4; i < Tokens.Length; i++)
        {
            logits = model.DecodeStep([cache], [Tokens[i]])[0];
            Assert.True(TinyModels.MaxAbsDiff(full[i], logits) < 1e-4, $"position {i}");
        }
        Assert.Equal(Tokens.Length, cache.Length);
    }

    [Fact]
    public void BatchedDecodeOfDifferentLengthsEqualsOneByOne()
    {
        using var model = TinyModels.Load("qwen2");
        int[][] prompts = [[1, 2, 3], [9, 8, 7, 6, 5, 4, 3], [100]];
        var caches = prompts.Select(_ => model.NewCache()).ToList();
        foreach (var (c, p) in caches.Zip(prompts)) model.Prefill(c, p);
        var batched = model.DecodeStep(caches, [10, 20, 30]);
        for (var i = 0; i < prompts.Length; i++)
        {
            using var c = model.NewCache();
            model.Prefill(c, prompts[i]);
            var single = model.DecodeStep([c], [new[] { 10, 20, 30 }[i]])[0];
            Assert.True(TinyModels.MaxAbsDiff(single, batched[i]) < 1e-4);
        }
        foreach (var c in caches) c.Dispose();
    }

    [Fact]
    public void LeftPaddedBatchForwardMatchesUnpadded()
    {
        using var model = TinyModels.Load("llama");
        var solo = TinyModels.FullLogits(model, [4, 5, 6]);
        using var ids = tensor(new long[] { 0, 0, 4, 5, 6, 7, 8, 9, 10, 11 }, [2, 5]);
        using var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 5]);
        using var _ = no_grad();
        using var logits = model.Forward(ids, mask);
        var last = logits[0, 4].data<float>().ToArray();
        Assert.True(TinyModels.MaxAbsDiff(solo[2], last) < 1e-4);
    }

    [Fact]
    public void SavedThenLoadedModelGivesIdenticalLogits()
    {
        using var model = TinyModels.Load("phi3");
        var folder = TinyModels.NewFolder("saved");
        model.Save(folder);
        using var again = LanguageModel.Load(folder, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu"));
        Assert.Equal(TinyModels.FullLogits(model, Tokens)[^1], TinyModels.FullLogits(again, Tokens)[^1]);
        Assert.Equal(model.Config.ToJson(), again.Config.ToJson().Replace("\"float32\"", "\"float32\""));
    }

    [Fact]
    public void ShardedAndSingleFileFoldersLoadAlike()
    {
        var sharded = TinyModels.NewFolder("sharded");
        TinyModel.Create(sharded, "qwen2", seed: 1234, new TinyModelOptions(MaxShardBytes: 100_000));
        Assert.True(File.Exists(Path.Combine(sharded, SafeTensors.IndexFile)));
        Assert.True(SafeTensors.ModelFiles(sharded).Count > 2);
        using var a = TinyModels.Load("qwen2");
        using var b = LanguageModel.Load(sharded, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu"));
        Assert.Equal(TinyModels.FullLogits(a, Tokens)[^1], TinyModels.FullLogits(b, Tokens)[^1]);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        var folder = TinyModels.NewFolder("missing");
        TinyModel.Create(folder, "llama");
        using (var f = new SafeTensorsFile(Path.Combine(folder, SafeTensors.SingleFile)))
        {
            var keep = f.Tensors.Keys.Where(k => k != "model.layers.1.mlp.up_proj.weight").Select(k => (k, f.Read(k))).ToList();
            f.Dispose();
            SafeTensors.Write(Path.Combine(folder, SafeTensors.SingleFile), keep);
            foreach (var (_, t) in keep) t.Dispose();
        }
        var ex = Assert.Throws<InvalidDataException>(() => LanguageModel.Load(folder, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu")));
        Assert.Contains("model.layers.1.mlp.up_proj.weight", ex.Message);
    }

    [Fact]
    public void UnknownModelTypeIsNamed()
    {
        var ex = Assert.Throws<NotSupportedException>(() => ModelConfig.Parse("""{"model_type":"gpt_neox","hidden_size":8}"""));
        Assert.Contains("gpt_neox", ex.Message);
    }

    [Fact]
    public void Bf16ModelTracksFp32()
    {
        using var f32 = TinyModels.Load("phi3");
        using var b16 = TinyModels.Load("phi3", dtype: ScalarType.BFloat16);
        var a = TinyModels.FullLogits(f32, Tokens)[^1];
        var b = TinyModels.FullLogits(b16, Tokens)[^1];
        Assert.True(TinyModels.MaxAbsDiff(a, b) < 0.25, $"bf16 max diff {TinyModels.MaxAbsDiff(a, b)}");
    }
}

public class TinyModelTests
{
    [Fact]
    public void SameSeedGivesTheSameWeights()
    {
        // The seed alone picks the weights (the generator seed is derived without HashCode, which varies per process).
        using var t = Cortex1.Model.Tiny.TinyModel.RandomTensor("model.norm.weight", [4], 1234, ScalarType.Float32);
        using var again = Cortex1.Model.Tiny.TinyModel.RandomTensor("model.norm.weight", [4], 1234, ScalarType.Float32);
        using var other = Cortex1.Model.Tiny.TinyModel.RandomTensor("model.norm.weight", [4], 1235, ScalarType.Float32);
        Assert.Equal(t.data<float>().ToArray(), again.data<float>().ToArray());
        Assert.NotEqual(t.data<float>().ToArray(), other.data<float>().ToArray());
    }

    [Fact]
    public void ConcurrentCreatorsOfOneFolderLeaveOneCompleteModel()
    {
        // Servers and jobs sharing a cache folder may all create the embedded model at once.
        var folder = TinyModels.NewFolder("race");
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ => TinyModel.Create(folder, "llama"));
        using var model = LanguageModel.Load(folder, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu"));
        Assert.Equal("llama", model.Config.ModelType);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(folder)!, Path.GetFileName(folder) + ".partial-*"));
    }
}
