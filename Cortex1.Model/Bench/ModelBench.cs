using System.Diagnostics;
using Cortex1.Model.Generation;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using static TorchSharp.torch;

namespace Cortex1.Model.Bench;

/// <summary>
/// `bench [--shape tiny|qwen2-mini|qwen2-0.5b] [--prompt 64] [--decode 32] [--batch 1] [--variants fp32,bf16,nf4] [--threads N]`:
/// writes a random-weight model of a named shape to a temp HF folder, loads it per variant (fp32, bf16, or a
/// quantization — nf4, q4_0, q8_0, nf4_0 — computing in the processor's dtype), and prints prefill and decode tokens/s, load time and peak RSS; the last line is key=value pairs.
/// </summary>
public static class ModelBench
{
    public static readonly IReadOnlyDictionary<string, (string Family, TinyModelOptions Options)> Shapes =
        new Dictionary<string, (string, TinyModelOptions)>
        {
            ["tiny"] = ("phi3", new TinyModelOptions()),
            // Qwen2-0.5B's dimensions (tied embeddings, q/k/v biases).
            ["qwen2-0.5b"] = ("qwen2", new TinyModelOptions(896, 24, 14, 2, 4864, 32768, DType: ScalarType.BFloat16, VocabSize: 151936, TieWordEmbeddings: true)),
            // A quarter-size Qwen2 (same features, 32k vocabulary) for quick runs.
            ["qwen2-mini"] = ("qwen2", new TinyModelOptions(512, 8, 8, 2, 1536, 4096, DType: ScalarType.BFloat16, VocabSize: 32000, TieWordEmbeddings: true)),
        };

    public static async Task<int> RunAsync(string[] args)
    {
        var cli = new BenchArgs(args);
        var shape = cli.String("--shape", "tiny");
        if (!Shapes.TryGetValue(shape, out var spec))
        {
            await Console.Error.WriteLineAsync($"Unknown shape '{shape}'; known: {string.Join(", ", Shapes.Keys)}.");
            return 2;
        }
        int prompt = cli.Int("--prompt", 64), decode = cli.Int("--decode", 32), batch = cli.Int("--batch", 1);
        var variants = cli.String("--variants", "fp32,bf16,nf4").Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (cli.String("--threads", "") is { Length: > 0 }) set_num_threads(cli.Int("--threads", 0));

        var folder = Path.Combine(Path.GetTempPath(), $"cortex1-bench-{shape}-{Environment.ProcessId}");
        try
        {
            var sw = Stopwatch.StartNew();
            Console.WriteLine($"Writing random {shape} model ({spec.Family}) to {folder} ...");
            TinyModel.Create(folder, spec.Family, 1234, spec.Options);
            Console.WriteLine($"  written in {sw.Elapsed.TotalSeconds:F1}s; {Environment.ProcessorCount} cores, {get_num_threads()} torch threads, prompt {prompt}, decode {decode}, batch {batch}");
            // Other processes' load skews every number below; say how busy the machine was.
            if (File.Exists("/proc/loadavg")) Console.WriteLine($"  load average: {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine();
            Console.WriteLine("| variant | weights MB | load s | prefill tok/s | decode tok/s (mean) | decode tok/s (median step) | peak RSS MB |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            var kv = new List<string> { $"shape={shape}", $"prompt={prompt}", $"decode={decode}", $"batch={batch}" };
            foreach (var variant in variants)
            {
                // A variant is a dtype (fp32, bf16…) or a quantisation, which computes in the dtype the processor decides
                // (DeviceSelector: bf16 only with native bf16 dot products, else fp32).
                var options = QuantizationName.TryParse(variant, out var q) && q != Quantization.None ? new LoadOptions(q, null, "cpu")
                    : DTypeName.TryParse(variant, out var dtype) ? new LoadOptions(Quantization.None, dtype, "cpu")
                    : throw new ArgumentException($"Unknown variant '{variant}' (fp32, bf16, {string.Join(", ", QuantizationName.All.Skip(1))}).");
                GC.Collect();
                var r = Measure(folder, options, prompt, decode, batch);
                Console.WriteLine($"| {variant} | {r.WeightsMb:F0} | {r.LoadS:F1} | {r.PrefillTps:F1} | {r.DecodeTps:F2} | {r.DecodeMedianTps:F2} | {r.PeakMb:F0} |");
                kv.Add(FormattableString.Invariant($"{variant}_prefill_tps={r.PrefillTps:F1}"));
                kv.Add(FormattableString.Invariant($"{variant}_decode_tps={r.DecodeTps:F2}"));
                kv.Add(FormattableString.Invariant($"{variant}_decode_median_tps={r.DecodeMedianTps:F2}"));
                kv.Add(FormattableString.Invariant($"{variant}_peak_mb={r.PeakMb:F0}"));
                kv.Add(FormattableString.Invariant($"{variant}_weights_mb={r.WeightsMb:F0}"));
            }
            Console.WriteLine();
            Console.WriteLine(string.Join(' ', kv));
            return 0;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    /// <summary>DecodeMedianTps comes from the median step time: on a shared machine it shows what a step costs when
    /// the process is not preempted, where the mean shows what a user would have seen.</summary>
    sealed record Result(double WeightsMb, double LoadS, double PrefillTps, double DecodeTps, double DecodeMedianTps, double PeakMb);

    static Result Measure(string folder, LoadOptions options, int promptLen, int decodeLen, int batch)
    {
        var baseline = Environment.WorkingSet;
        long peak = baseline;
        using var model = LanguageModel.Load(folder, options);
        peak = Math.Max(peak, model.LoadPeakBytes);
        var rng = new Random(7);
        var caches = Enumerable.Range(0, batch).Select(_ => model.NewCache()).ToList();
        try
        {
            var sw = Stopwatch.StartNew();
            var next = new List<int>();
            foreach (var c in caches)
            {
                var prompt = Enumerable.Range(0, promptLen).Select(_ => rng.Next(model.Tokenizer.VocabSize)).ToArray();
                next.Add(Sampler.ArgMax(model.Prefill(c, prompt)));
                peak = Math.Max(peak, Environment.WorkingSet);
            }
            var prefillTps = batch * promptLen / sw.Elapsed.TotalSeconds;
            var steps = new List<double>();
            for (var i = 0; i < decodeLen; i++)
            {
                sw.Restart();
                var logits = model.DecodeStep(caches, next);
                next = logits.Select(Sampler.ArgMax).ToList();
                steps.Add(sw.Elapsed.TotalSeconds);
                peak = Math.Max(peak, Environment.WorkingSet);
            }
            var decodeTps = batch * decodeLen / steps.Sum();
            var median = steps.Order().ElementAt(steps.Count / 2);
            return new Result(model.Decoder.WeightBytes / 1e6, model.LoadTime.TotalSeconds, prefillTps, decodeTps, batch / median, peak / 1e6);
        }
        finally
        {
            foreach (var c in caches) c.Dispose();
        }
    }
}
