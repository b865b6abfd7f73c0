using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Cortex1.Bench;

/// <summary>llama.cpp (LLamaSharp's CPU backend) on one GGUF file: the prompt in one batch, then greedy decoding one
/// token at a time through its KV cache, timed the way the engine's side is.</summary>
public sealed class LlamaCppRunner : IDisposable
{
    static LlamaCppRunner() => NativeLibraryConfig.All.WithLogCallback((_, _) => { });   // llama.cpp logs every tensor it loads
    readonly LLamaWeights _weights;
    readonly ModelParams _params;

    public LlamaCppRunner(string gguf, int context, int threads)
    {
        _params = new ModelParams(gguf)
        {
            ContextSize = (uint)context,
            BatchSize = (uint)context,
            UBatchSize = (uint)context,
            GpuLayerCount = 0,
            Threads = threads,
            BatchThreads = threads,
        };
        _weights = LLamaWeights.LoadFromFile(_params);
    }

    public RunResult Run(IReadOnlyList<int> prompt, int decode)
    {
        using var ctx = _weights.CreateContext(_params);
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        var sw = Stopwatch.StartNew();
        Check(ctx.Decode(batch));
        var next = ArgMax(ctx.NativeHandle.GetLogitsIth(batch.TokenCount - 1));
        var prefill = sw.Elapsed.TotalSeconds;
        var tokens = new List<int> { next };
        sw.Restart();
        for (var pos = prompt.Count; tokens.Count <= decode; pos++)
        {
            batch.Clear();
            var last = batch.Add(next, pos, LLamaSeqId.Zero, true);
            Check(ctx.Decode(batch));
            next = ArgMax(ctx.NativeHandle.GetLogitsIth(last));
            tokens.Add(next);
        }
        return new RunResult(prompt.Count / prefill, decode / sw.Elapsed.TotalSeconds, tokens);
    }

    static void Check(DecodeResult rc)
    {
        if (rc != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {rc}");
    }

    static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var v = 1; v < logits.Length; v++) if (logits[v] > logits[best]) best = v;
        return best;
    }

    public void Dispose() => _weights.Dispose();
}

/// <summary>One timed run: prefill and decode tokens/s, and the greedy tokens (the first from the prompt's logits).</summary>
public sealed record RunResult(double PrefillTps, double DecodeTps, IReadOnlyList<int> Tokens);
