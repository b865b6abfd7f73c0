using System.Diagnostics;
using System.Globalization;
using Cortex1.Model;
using Cortex1.Model.Bench;
using Cortex1.Model.Export;
using Cortex1.Model.Generation;
using Cortex1.Model.Kernels;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using static TorchSharp.torch;

namespace Cortex1.Bench;

/// <summary>
/// `dotnet run --project Cortex1.Bench -c Release -- [--shape qwen2-0.5b|qwen2-mini|tiny] [--prompt 64] [--decode 32]
/// [--threads N] [--torch-threads N] [--rounds 2] [--pairs q4_0:q4_0,none:f32]`: writes a random-weight model of a shape, exports it to GGUF
/// (each pair's GGUF type), and for each pair (our quantization : llama.cpp's file type) runs our prefill + greedy
/// decode and llama.cpp's on the same weights, alternating, `rounds` times each. Prints a table of both, their ratio
/// (ours ÷ llama.cpp, of the rounds' medians and of their best), whether the greedy tokens agree, the processor's features, the threads,
/// the measured read bandwidth and the bytes-per-token floor for this shape and the 14B shapes; the last line is
/// key=value pairs.
/// </summary>
public static class LlamaCppBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cli = new BenchArgs(args);
        var shape = cli.String("--shape", "qwen2-mini");
        if (!ModelBench.Shapes.TryGetValue(shape, out var spec))
        {
            await Console.Error.WriteLineAsync($"Unknown shape '{shape}'; known: {string.Join(", ", ModelBench.Shapes.Keys)}.");
            return 2;
        }
        int prompt = cli.Int("--prompt", 64), decode = cli.Int("--decode", 32), rounds = cli.Int("--rounds", 2);
        var threads = cli.Int("--threads", Environment.ProcessorCount);
        var pairs = cli.String("--pairs", "q4_0:q4_0,none:f32").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split(':')).Select(p => (Ours: QuantizationName.Parse(p[0]), Gguf: p[1].Trim().ToLowerInvariant())).ToList();
        // With block-quantised weights every matmul runs in the kernels, leaving libtorch only small ops (norms, RoPE,
        // attention over a short context), whose OpenMP threads would spin against the kernels' workers: one thread.
        var torchThreadsOption = cli.String("--torch-threads", "") is { Length: > 0 } ? cli.Int("--torch-threads", 1) : (int?)null;
        BlockKernels.Threads = threads;

        var root = Path.Combine(Path.GetTempPath(), $"cortex1-llamacpp-bench-{shape}-{Environment.ProcessId}");
        var folder = Path.Combine(root, "hf");
        try
        {
            var sw = Stopwatch.StartNew();
            TinyModel.Create(folder, spec.Family, 1234, spec.Options);
            var ggufs = pairs.Select(p => p.Gguf).Distinct().ToDictionary(t => t, t =>
                ModelExport.Run(new ExportRequest(folder, null, "gguf", t, Path.Combine(root, $"{shape}-{t}.gguf")))[0]);
            var cpu = CpuFeatures.Current;
            var bandwidth = MemoryBandwidth.Measure(threads);
            Console.WriteLine($"shape {shape} ({spec.Family}), random weights written and exported in {sw.Elapsed.TotalSeconds:F0}s; prompt {prompt}, decode {decode}, {rounds} rounds alternated");
            Console.WriteLine($"CPU: {Environment.ProcessorCount} cores, {threads} threads (ours: kernels {threads}, torch {torchThreadsOption?.ToString(CultureInfo.InvariantCulture) ?? $"1 with block weights, else {threads}"}; llama.cpp: threads and batch threads); {cpu.Describe()}; kernels {KernelPaths.Name(KernelPaths.Default)}");
            Console.WriteLine(FormattableString.Invariant($"read bandwidth {bandwidth:F1} GB/s"));
            if (File.Exists("/proc/loadavg")) Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine();

            var rng = new Random(7);
            var vocab = spec.Options.VocabSize ?? 512;
            var ids = Enumerable.Range(0, prompt).Select(_ => rng.Next(vocab)).ToArray();
            var kv = new List<string> { $"shape={shape}", $"threads={threads}", $"prompt={prompt}", $"decode={decode}", $"kernels={KernelPaths.Name(KernelPaths.Default)}" };
            var rows = new List<string>();
            Cortex1.Model.Config.ModelConfig? config = null;
            foreach (var (ours, ggufType) in pairs)
            {
                GC.Collect();
                set_num_threads(torchThreadsOption ?? (ours.BlockFormat() is null ? threads : 1));
                using var model = LanguageModel.Load(folder, new LoadOptions(ours, null, "cpu"));
                config ??= model.Config;
                using var cpp = new LlamaCppRunner(ggufs[ggufType], prompt + decode + 8, threads);
                var mine = new List<RunResult>();
                var theirs = new List<RunResult>();
                for (var r = 0; r < rounds; r++)
                {
                    mine.Add(RunOurs(model, ids, decode));
                    theirs.Add(cpp.Run(ids, decode));
                    Console.Error.WriteLine(FormattableString.Invariant($"  {QuantizationName.Of(ours)}:{ggufType} round {r + 1}: ours {mine[^1].PrefillTps:F1}/{mine[^1].DecodeTps:F2}, llama.cpp {theirs[^1].PrefillTps:F1}/{theirs[^1].DecodeTps:F2} prefill/decode tok/s"));
                }
                var agree = mine[0].Tokens.Zip(theirs[0].Tokens).TakeWhile(p => p.First == p.Second).Count();
                double oursDecode = Median(mine.Select(m => m.DecodeTps)), cppDecode = Median(theirs.Select(m => m.DecodeTps));
                double oursPrefill = Median(mine.Select(m => m.PrefillTps)), cppPrefill = Median(theirs.Select(m => m.PrefillTps));
                // On a shared machine the best round is the one least disturbed by other processes: a second ratio.
                var bestDecode = mine.Max(m => m.DecodeTps) / theirs.Max(m => m.DecodeTps);
                var bestPrefill = mine.Max(m => m.PrefillTps) / theirs.Max(m => m.PrefillTps);
                var name = $"{QuantizationName.Of(ours)} / {ggufType.ToUpperInvariant()}";
                rows.Add(FormattableString.Invariant(
                    $"| {name} | {model.Decoder.WeightBytes / 1e6:F0} | {List(mine.Select(m => m.DecodeTps))} | {List(theirs.Select(m => m.DecodeTps))} | {oursDecode / cppDecode:F2} ({bestDecode:F2}) | {List(mine.Select(m => m.PrefillTps))} | {List(theirs.Select(m => m.PrefillTps))} | {oursPrefill / cppPrefill:F2} ({bestPrefill:F2}) | {agree}/{decode + 1} |"));
                var key = QuantizationName.Of(ours);
                kv.Add(FormattableString.Invariant($"{key}_decode_tps={oursDecode:F2}"));
                kv.Add(FormattableString.Invariant($"{key}_llamacpp_decode_tps={cppDecode:F2}"));
                kv.Add(FormattableString.Invariant($"{key}_decode_ratio={oursDecode / cppDecode:F3}"));
                kv.Add(FormattableString.Invariant($"{key}_decode_ratio_best={bestDecode:F3}"));
                kv.Add(FormattableString.Invariant($"{key}_prefill_tps={oursPrefill:F1}"));
                kv.Add(FormattableString.Invariant($"{key}_llamacpp_prefill_tps={cppPrefill:F1}"));
                kv.Add(FormattableString.Invariant($"{key}_prefill_ratio={oursPrefill / cppPrefill:F3}"));
                kv.Add(FormattableString.Invariant($"{key}_prefill_ratio_best={bestPrefill:F3}"));
                kv.Add($"{key}_greedy_agree={agree}");
            }
            Console.WriteLine("Per round; ratio = ours ÷ llama.cpp of the medians (of the best rounds).");
            Console.WriteLine("| ours / llama.cpp | our weights MB | ours decode tok/s | llama.cpp decode tok/s | ratio | ours prefill tok/s | llama.cpp prefill tok/s | ratio | greedy tokens equal |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var row in rows) Console.WriteLine(row);
            Console.WriteLine();
            Console.WriteLine("Decode floor (every weight read once per token at the measured bandwidth):");
            Console.WriteLine("| shape | 4-bit MB/token | 4-bit floor tok/s | fp32 MB/token | fp32 floor tok/s |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            var shapes = new List<PaperShapes.Shape>();
            if (config is not null) shapes.Add(PaperShapes.Of(shape, config));
            shapes.AddRange(PaperShapes.FourteenB);
            foreach (var s in shapes)
            {
                double q4 = PaperShapes.FourBitBytesPerToken(s), f32 = PaperShapes.Fp32BytesPerToken(s);
                Console.WriteLine(FormattableString.Invariant($"| {s.Name} | {q4 / 1e6:F0} | {bandwidth * 1e9 / q4:F1} | {f32 / 1e6:F0} | {bandwidth * 1e9 / f32:F2} |"));
                if (s.Name == shape) kv.Add(FormattableString.Invariant($"q4_floor_tps={bandwidth * 1e9 / q4:F1}"));
            }
            kv.Add(FormattableString.Invariant($"bandwidth_gbs={bandwidth:F1}"));
            Console.WriteLine();
            Console.WriteLine(string.Join(' ', kv));
            return 0;
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    static RunResult RunOurs(LanguageModel model, int[] prompt, int decode)
    {
        using var cache = model.NewCache();
        var sw = Stopwatch.StartNew();
        var next = Sampler.ArgMax(model.Prefill(cache, prompt));
        var prefill = sw.Elapsed.TotalSeconds;
        var tokens = new List<int> { next };
        sw.Restart();
        for (var i = 0; i < decode; i++)
        {
            next = Sampler.ArgMax(model.DecodeStep([cache], [next])[0]);
            tokens.Add(next);
        }
        return new RunResult(prompt.Length / prefill, decode / sw.Elapsed.TotalSeconds, tokens);
    }

    static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    static string List(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture)));
}
