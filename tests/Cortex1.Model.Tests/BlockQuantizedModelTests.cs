using Cortex1.Model.Devices;
using Cortex1.Model.Kernels;
using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Model.Tiny;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>Models loaded with block-quantised weights (q4_0, q8_0, nf4_0) on the CPU kernels, the tied weights stored
/// once, and the compute dtype the processor decides.</summary>
public class BlockQuantizedModelTests
{
    static readonly int[] Tokens = [11, 50, 202, 7, 93, 400, 12, 77, 5, 300];

    static string Folder(string family, bool tied) =>
        TinyModel.Create(TinyModels.NewFolder($"blocks-{family}-{tied}"), family, seed: 77, new TinyModelOptions(HiddenSize: 96, IntermediateSize: 160, TieWordEmbeddings: tied));

    /// <summary>The quantised model against an fp32 model holding exactly its dequantised weights (its own Save): the
    /// only difference left is the kernels' int8 activations, so logits agree closely and argmax nearly everywhere.</summary>
    [Theory]
    [InlineData("qwen2", true, Quantization.Q4_0)]
    [InlineData("llama", false, Quantization.Q4_0)]
    [InlineData("phi3", false, Quantization.Q8_0)]
    [InlineData("qwen2", true, Quantization.Nf4_0)]
    public void LogitsMatchTheDequantisedWeightsInFp32(string family, bool tied, Quantization q)
    {
        var folder = Folder(family, tied);
        using var quantised = LanguageModel.Load(folder, new LoadOptions(q, ScalarType.Float32, "cpu"));
        Assert.NotNull(quantised.Decoder.Layers[0].Projections.Values.First().Blocks);
        Assert.NotNull(quantised.Decoder.EmbeddingBlocks);
        Assert.NotNull(quantised.Decoder.LmHead.Blocks);
        var dequantisedFolder = TinyModels.NewFolder("blocks-dequantised");
        quantised.Save(dequantisedFolder, ScalarType.Float32);
        using var reference = LanguageModel.Load(dequantisedFolder, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu"));

        var a = TinyModels.FullLogits(reference, Tokens);
        var b = TinyModels.FullLogits(quantised, Tokens);
        var rel = RelativeError(a, b);
        var same = a.Zip(b).Count(p => Generation.Sampler.ArgMax(p.First) == Generation.Sampler.ArgMax(p.Second));
        Assert.True(rel < 0.03, $"relative logit error {rel:F4} against the dequantised weights");
        Assert.True(same >= Tokens.Length - 2, $"argmax agreed at {same}/{Tokens.Length}");

        // The KV-cache path (prefill then decode steps, T = 1 through the kernels) gives the batch forward's logits.
        using var cache = quantised.NewCache();
        var prefill = quantised.Prefill(cache, Tokens.AsSpan(0, 6));
        Assert.True(TinyModels.MaxAbsDiff(b[5], prefill) < 1e-3);
        for (var t = 6; t < Tokens.Length; t++)
            Assert.True(TinyModels.MaxAbsDiff(b[t], quantised.DecodeStep([cache], [Tokens[t]])[0]) < 1e-3);
    }

    /// <summary>Each kernel path the processor runs gives the scalar path's logits: the same integer sums, summed in
    /// another order, so a layer's output differs by float rounding — which can move the next layer's int8 rounding
    /// of an activation by one step, hence a relative tolerance rather than bit-equality.</summary>
    [SkippableTheory]
    [InlineData(KernelPath.Avx2)]
    [InlineData(KernelPath.Avx2Vnni)]
    [InlineData(KernelPath.Avx512)]
    public void ForcedKernelPathsAgreeWithScalar(KernelPath path)
    {
        Skip.IfNot(KernelPaths.IsSupported(path, CpuFeatures.Current), $"{path} needs an instruction set this processor lacks ({CpuFeatures.Current.Describe()}).");
        var folder = Folder("qwen2", tied: true);
        using var scalar = LanguageModel.Load(folder, new LoadOptions(Quantization.Q4_0, ScalarType.Float32, "cpu", KernelPath.Scalar));
        using var simd = LanguageModel.Load(folder, new LoadOptions(Quantization.Q4_0, ScalarType.Float32, "cpu", path));
        Assert.Equal(path, simd.Decoder.Kernels);
        var a = TinyModels.FullLogits(scalar, Tokens);
        var b = TinyModels.FullLogits(simd, Tokens);
        for (var t = 0; t < Tokens.Length; t++)
        {
            var rel = RelativeError([a[t]], [b[t]]);
            Assert.True(rel < 2e-3, $"position {t}: relative difference {rel:E2}, max {TinyModels.MaxAbsDiff(a[t], b[t])}");
            Assert.Equal(Generation.Sampler.ArgMax(a[t]), Generation.Sampler.ArgMax(b[t]));
        }
    }

    /// <summary>Dequantising and quantising go chunk by chunk of rows; rows on both sides of a chunk edge land right.</summary>
    [Fact]
    public unsafe void WholeMatrixRoundTripsAcrossChunks()
    {
        const int rows = 230, cols = 40_000;   // 104 rows per 4M-element chunk: three chunks
        using var w = randn([rows, cols], generator: new TorchSharp.torch.Generator(9));
        using var m = BlockTensors.Quantize(w, BlockFormat.Q8_0);
        using var back = BlockTensors.Dequantize(m);
        Assert.Equal([(long)rows, cols], back.shape);
        var row = new float[cols];
        foreach (var r in new[] { 0, 103, 104, 105, 208, rows - 1 })
        {
            fixed (float* p = row) m.DequantizeRow(r, p);
            Assert.Equal(row, back[r].data<float>().ToArray());
            // Q8_0 keeps every value within half a step (max|x|/127 of its block) of the source.
            using var source = w[r];
            Assert.True((back[r] - source).abs().max().item<float>() <= source.abs().max().item<float>() / 127 * 0.5f + 1e-3f);
        }
    }

    /// <summary>‖a − b‖ / ‖a‖ over all positions.</summary>
    static double RelativeError(float[][] a, float[][] b)
    {
        double err = 0, norm = 0;
        for (var t = 0; t < a.Length; t++)
        for (var i = 0; i < a[t].Length; i++) { err += Math.Pow(a[t][i] - b[t][i], 2); norm += Math.Pow(a[t][i], 2); }
        return Math.Sqrt(err / norm);
    }

    [Fact]
    public void TiedWeightsAreStoredOnce()
    {
        var folder = Folder("qwen2", tied: true);
        using (var q4 = LanguageModel.Load(folder, new LoadOptions(Quantization.Q4_0, ScalarType.Float32, "cpu")))
        {
            Assert.Same(q4.Decoder.LmHead.Blocks, q4.Decoder.EmbeddingBlocks);
            Assert.Null(q4.Decoder.Embedding);
            var layers = q4.Decoder.LayerProjections.Sum(p => p.StorageBytes);
            Assert.Equal(layers + q4.Decoder.LmHead.Blocks!.StorageBytes, q4.Decoder.WeightBytes);
        }
        using var fp32 = LanguageModel.Load(folder, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu"));
        var e = fp32.Decoder.Embedding!;
        Assert.True(fp32.Decoder.LmHead.SharesStorage);
        using var w = fp32.Decoder.LmHead.Weight(ScalarType.Float32);
        using (no_grad()) e[3, 5] = tensor(42f);
        Assert.Equal(42f, w[5, 3].item<float>());   // the lm_head reads the embedding's own memory
        var norms = (fp32.Decoder.FinalNorm!.NumberOfElements + fp32.Decoder.Layers.Sum(l => l.InputNorm!.NumberOfElements + l.PostAttentionNorm!.NumberOfElements)) * 4;
        Assert.Equal(e.NumberOfElements * 4 + fp32.Decoder.LayerProjections.Sum(p => p.StorageBytes), fp32.Decoder.WeightBytes);
        Assert.True(norms > 0);
    }

    /// <summary>Untied, a 4-bit model's lm_head is Q8_0 (as the GGUF export writes it); its embedding is its own matrix.</summary>
    [Fact]
    public void UntiedOutputIsQ8()
    {
        using var q4 = LanguageModel.Load(Folder("llama", tied: false), new LoadOptions(Quantization.Q4_0, ScalarType.Float32, "cpu"));
        Assert.Equal(BlockFormat.Q8_0, q4.Decoder.LmHead.Blocks!.Format);
        Assert.Equal(BlockFormat.Q4_0, q4.Decoder.EmbeddingBlocks!.Format);
        Assert.NotSame(q4.Decoder.LmHead.Blocks, q4.Decoder.EmbeddingBlocks);
    }

    /// <summary>Training a LoRA over block-quantised weights: the input carries a gradient, so the projection takes the
    /// dequantised dense path, and the adapter learns.</summary>
    [Fact]
    public void LoraTrainsOverBlockWeights()
    {
        using var model = LanguageModel.Load(Folder("llama", tied: false), new LoadOptions(Quantization.Q4_0, ScalarType.Float32, "cpu"));
        var parameters = model.AddAdapter("policy", new LoraConfig(4, 8, 0.0), seed: 3);
        using var ids = tensor(Tokens.Select(t => (long)t).ToArray(), [1, Tokens.Length]);
        var before = TinyModels.FullLogits(model, Tokens, "policy")[^1];
        using var opt = optim.SGD(parameters, 0.5);
        for (var step = 0; step < 2; step++)
        {
            opt.zero_grad();
            using var logits = model.Forward(ids, adapter: "policy");
            using var loss = nn.functional.cross_entropy(logits[0, ..^1], ids[0, 1..]);
            loss.backward();
            opt.step();
        }
        Assert.True(TinyModels.MaxAbsDiff(before, TinyModels.FullLogits(model, Tokens, "policy")[^1]) > 1e-3, "training should move the logits");
    }

    [SkippableFact]
    public void BlockFormatsRefuseCuda()
    {
        Skip.IfNot(DeviceSelector.CudaAvailable, "no CUDA device in this build or machine");
        Assert.Throws<NotSupportedException>(() => LanguageModel.Load(Folder("llama", false), new LoadOptions(Quantization.Q4_0, null, "cuda")));
    }

    [Fact]
    public void ComputeDTypeFollowsTheProcessor()
    {
        var plain = CpuFeatures.Parse("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n", avx2: true, avxVnni: false, avx512: false, armBf16: false);
        var sapphire = CpuFeatures.Parse("flags\t\t: avx2 avx512f avx512bw avx512_bf16 amx_bf16 amx_tile\n", true, true, true, false);
        var graviton = CpuFeatures.Parse("Features\t: fp asimd bf16 i8mm\n", false, false, false, armBf16: true);
        Assert.False(plain.NativeBf16);
        Assert.Equal("avx512_bf16,amx_bf16", sapphire.Bf16Flags);
        Assert.True(graviton.NativeBf16);
        Assert.False(CpuFeatures.Parse("Features\t: fp asimd bf16\n", false, false, false, armBf16: false).NativeBf16);   // not ARM: the word alone is not enough
        Assert.Equal(ScalarType.Float32, DeviceSelector.Choose(DeviceType.CPU, plain, null).DType);
        Assert.Equal(ScalarType.BFloat16, DeviceSelector.Choose(DeviceType.CPU, sapphire, null).DType);
        Assert.Equal(ScalarType.BFloat16, DeviceSelector.Choose(DeviceType.CPU, graviton, "").DType);
        Assert.Equal(ScalarType.BFloat16, DeviceSelector.Choose(DeviceType.CPU, plain, "bf16").DType);
        Assert.Equal(ScalarType.Float32, DeviceSelector.Choose(DeviceType.CPU, sapphire, "fp32").DType);
        Assert.Equal(ScalarType.BFloat16, DeviceSelector.Choose(DeviceType.CUDA, plain, null).DType);
        Assert.Throws<ArgumentException>(() => DeviceSelector.Choose(DeviceType.CPU, plain, "float16"));
        Assert.Contains("no native bf16", DeviceSelector.Choose(DeviceType.CPU, plain, null).Reason);
    }

    /// <summary>The load states its compute dtype, why, and the kernel path.</summary>
    [Fact]
    public void LoadStatesTheChoice()
    {
        var messages = new List<string>();
        using var m = LanguageModel.Load(Folder("qwen2", true), new LoadOptions(Quantization.Q4_0, null, "cpu", KernelPath.Scalar), new SyncProgress(messages));
        var line = Assert.Single(messages, s => s.StartsWith("Compute dtype", StringComparison.Ordinal));
        Assert.Contains(DTypeName.Of(m.DType), line);
        Assert.Contains("q4_0 weights on the scalar kernels", line);
        Assert.Equal(CpuFeatures.Current.NativeBf16 ? ScalarType.BFloat16 : ScalarType.Float32, m.DType);
    }

    sealed class SyncProgress(List<string> messages) : IProgress<string>
    {
        public void Report(string value) => messages.Add(value);
    }
}
