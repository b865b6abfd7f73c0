using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Cortex1.Export.Tests;

/// <summary>llama.cpp (LLamaSharp's CPU build) as the reference: logits at every position for a token sequence, with
/// the KV cache in F32 and flash attention off so nothing but the weights' own type rounds; and its tokenizer.</summary>
public sealed class LlamaCpp : IDisposable
{
    static readonly object NativeLock = new();

    // llama.cpp logs every tensor and token it loads; the tests print the numbers that matter themselves.
    static LlamaCpp() => NativeLibraryConfig.All.WithLogCallback((_, _) => { });
    readonly LLamaWeights _weights;
    readonly ModelParams _params;

    public LlamaCpp(string gguf, uint context = 128)
    {
        lock (NativeLock)
        {
            _params = new ModelParams(gguf)
            {
                ContextSize = context,
                BatchSize = context,
                UBatchSize = context,
                GpuLayerCount = 0,
                Threads = 2,
                TypeK = GGMLType.GGML_TYPE_F32,
                TypeV = GGMLType.GGML_TYPE_F32,
                FlashAttention = false,
            };
            _weights = LLamaWeights.LoadFromFile(_params);
        }
    }

    public string? Metadata(string key) => _weights.Metadata.TryGetValue(key, out var v) ? v : null;

    /// <summary>Logits [T][vocab] for one sequence decoded in one batch, every position's logits requested.</summary>
    public float[][] Logits(IReadOnlyList<int> tokens)
    {
        using var ctx = _weights.CreateContext(_params);
        var batch = new LLamaBatch();
        for (var i = 0; i < tokens.Count; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
        var rc = ctx.Decode(batch);
        Assert.Equal(DecodeResult.Ok, rc);
        return Enumerable.Range(0, tokens.Count).Select(i => ctx.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    /// <summary>Greedy decoding in llama.cpp: the prompt in one batch, then one token at a time through its KV cache,
    /// each the argmax of the last logits; stops after `max` tokens or before a token of `stops`.</summary>
    public List<int> Greedy(IReadOnlyList<int> prompt, int max, IReadOnlyCollection<int> stops)
    {
        using var ctx = _weights.CreateContext(_params);
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        var output = new List<int>();
        var last = batch.TokenCount - 1;
        for (var pos = prompt.Count; output.Count < max; pos++)
        {
            Assert.Equal(DecodeResult.Ok, ctx.Decode(batch));
            var logits = ctx.NativeHandle.GetLogitsIth(last);
            var next = 0;
            for (var v = 1; v < logits.Length; v++) if (logits[v] > logits[next]) next = v;
            if (stops.Contains(next)) break;
            output.Add(next);
            batch.Clear();
            last = batch.Add(next, pos, LLamaSeqId.Zero, true);
        }
        return output;
    }

    /// <summary>llama.cpp's tokens of `text`, special tokens parsed, no bos added.</summary>
    public int[] Tokenize(string text) => _weights.Tokenize(text, false, true, Encoding.UTF8).Select(t => (int)t).ToArray();

    public void Dispose() => _weights.Dispose();
}
