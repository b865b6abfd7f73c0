using System.Diagnostics;
using Cortex1.Model;
using Cortex1.Model.Bench;
using Cortex1.Model.Chat;
using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Model.Tiny;
using Cortex1.Trainer.Grpo;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Bench;

/// <summary>
/// `bench --shape phi-4|tiny [--seq 256] [--layers K] [--completion 16] [--generations 2] [--checkpointing auto|on|off]
/// [--device cpu|cuda]`: a model of the named shape with random NF4 weights (made in memory, layer by layer), LoRA r 16
/// on all linear layers, then one SFT step on a `seq`-token example and one GRPO step whose sequences are `seq` tokens
/// (prompt + completion; the group is scored as one sequence of prompt + G completions). Prints the time and peak
/// memory of each (process RSS high-water mark on the CPU, device memory on CUDA); the last line is key=value.
/// `--layers` builds fewer decoder layers, to measure the per-layer cost and extrapolate to the full depth.
/// </summary>
public static class ShapeBench
{
    /// <summary>microsoft/phi-4's config.json: 40 layers, hidden 5120, 40 heads over 10 KV heads, SwiGLU 17920, vocabulary
    /// 100352, 16k context, fused qkv/gate_up projections (phi3).</summary>
    static ModelConfig Phi4(ModelConfig tokenizerModel) => tokenizerModel with
    {
        HiddenSize = 5120, NumLayers = 40, NumHeads = 40, NumKvHeads = 10, IntermediateSize = 17920, VocabSize = 100352,
        MaxPositionEmbeddings = 16384, RopeTheta = 250000, RmsNormEps = 1e-5, TieWordEmbeddings = false,
    };

    public static readonly IReadOnlyList<string> Shapes = ["phi-4", "tiny"];

    public static int Run(string[] args, TextWriter? output = null)
    {
        var console = output ?? Console.Out;
        var cli = new BenchArgs(args);
        var shape = cli.String("--shape", "phi-4");
        if (!Shapes.Contains(shape)) throw new ArgumentException($"Unknown shape '{shape}' ({string.Join(", ", Shapes)}).");
        var seq = cli.Int("--seq", 256);
        var completion = cli.Int("--completion", 16);
        var generations = cli.Int("--generations", 2);
        var checkpointing = cli.String("--checkpointing", "auto") switch
        {
            "auto" => (bool?)null, "on" => true, "off" => false,
            var other => throw new ArgumentException($"--checkpointing must be auto, on or off, not '{other}'."),
        };
        if (completion >= seq) throw new ArgumentException("--completion must be shorter than --seq.");

        var folder = Path.Combine(Path.GetTempPath(), $"cortex1-shape-bench-{Environment.ProcessId}");
        try
        {
            // The tiny phi3 folder carries phi-4's tokenizer (cl100k + its special tokens, vocabulary 100352) and template.
            var tokenizerFolder = TinyModel.Embedded(folder);
            var tiny = ModelConfig.Load(tokenizerFolder);
            var full = shape == "phi-4" ? Phi4(tiny) : tiny;
            var config = full with { NumLayers = cli.Int("--layers", full.NumLayers) };
            var options = new LoadOptions(Quantization.Nf4, Device: cli.String("--device", ""));
            var clock = Stopwatch.StartNew();
            using var model = LanguageModel.CreateRandom(config, tokenizerFolder, options, seed: 1);
            var loadSeconds = clock.Elapsed.TotalSeconds;

            var grpo = new GrpoOptions
            {
                NumGenerations = generations, MaxCompletionLength = completion, Seed = 1, SftSteps = 1, GrpoSteps = 1,
                Lora = new LoraConfig(Rank: 16, Alpha: 32, Dropout: 0), GradientCheckpointing = checkpointing,
            };
            // Rewards that differ between completions (longer text scores higher), so the advantages and the backward are real.
            using var trainer = new GrpoTrainer(model, grpo, (_, text) => Math.Min(1.0, text.Length / 400.0));
            var loraParameters = trainer.Parameters.Sum(p => p.NumberOfElements);
            var baseBytes = PeakMemory.CurrentBytes(model.Device);

            // SFT: a prompt and a teacher answer of about a quarter of the sequence, seq tokens in all.
            var answerTokens = Math.Max(8, seq / 4);
            var answer = AnswerOf(model, answerTokens);
            var sftTarget = SftTargets.Tokens(model, answer, null).Count;
            var sftPrompt = PromptOf(model, seq - sftTarget);
            var sftTokens = Tokens(model, sftPrompt) + sftTarget;
            var grpoPrompt = PromptOf(model, seq - completion);
            var grpoPromptTokens = Tokens(model, grpoPrompt);

            console.WriteLine(FormattableString.Invariant(
                $"{shape} shape: {config.NumLayers} layers, hidden {config.HiddenSize}, NF4 weights {model.Decoder.WeightBytes / 1e9:F2} GB (with embeddings and lm_head in {model.DType}), {model.Device.type}, LoRA r 16 on all linear layers ({loraParameters / 1e6:F1} M parameters), checkpointing {(model.Decoder.GradientCheckpointing ? "on" : "off")}"));
            console.WriteLine(FormattableString.Invariant($"made in {loadSeconds:F1} s; memory after setup {baseBytes / 1e6:F0} MB"));
            console.WriteLine("| step | tokens | seconds | peak MB |");
            console.WriteLine("| --- | ---: | ---: | ---: |");

            double sftSeconds, grpoSeconds;
            long sftPeak, grpoPeak;
            string source;
            using (var peak = PeakMemory.Start(model.Device))
            {
                clock.Restart();
                trainer.SftStep([new SftExample(sftPrompt, answer)]);
                (sftSeconds, sftPeak, source) = (clock.Elapsed.TotalSeconds, peak.PeakBytes, peak.Source);
            }
            console.WriteLine(FormattableString.Invariant($"| sft | {sftTokens} | {sftSeconds:F1} | {sftPeak / 1e6:F0} |"));
            int groupTokens;
            using (var peak = PeakMemory.Start(model.Device))
            {
                clock.Restart();
                var metrics = trainer.Step(0, [grpoPrompt]);
                (grpoSeconds, grpoPeak) = (clock.Elapsed.TotalSeconds, peak.PeakBytes);
                groupTokens = grpoPromptTokens + (int)Math.Round(metrics.CompletionTokensMean * generations);
            }
            console.WriteLine(FormattableString.Invariant($"| grpo (G = {generations}, completion ≤ {completion}; one group sequence) | {groupTokens} | {grpoSeconds:F1} | {grpoPeak / 1e6:F0} |"));
            console.WriteLine();
            console.WriteLine(FormattableString.Invariant(
                $"shape={shape} layers={config.NumLayers} seq={seq} device={model.Device.type} dtype={model.DType} checkpointing={model.Decoder.GradientCheckpointing.ToString().ToLowerInvariant()} memory={source} weights_mb={model.Decoder.WeightBytes / 1e6:F0} lora_params={loraParameters} setup_s={loadSeconds:F1} base_mb={baseBytes / 1e6:F0} sft_tokens={sftTokens} sft_s={sftSeconds:F1} sft_peak_mb={sftPeak / 1e6:F0} grpo_prompt_tokens={grpoPromptTokens} grpo_group_tokens={groupTokens} grpo_s={grpoSeconds:F1} grpo_peak_mb={grpoPeak / 1e6:F0} peak_mb={Math.Max(sftPeak, grpoPeak) / 1e6:F0}"));
            return 0;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    static int Tokens(LanguageModel model, TrainingPrompt prompt) =>
        model.Tokenizer.Encode(model.ChatTemplate.Render(prompt.Messages, addGenerationPrompt: true), allowSpecial: true).Length;

    /// <summary>A market-table prompt whose rendered chat has <paramref name="tokens"/> tokens (at most): whole lines,
    /// then single-token words to fill.</summary>
    static TrainingPrompt PromptOf(LanguageModel model, int tokens)
    {
        const string Line = "2021-03-14 BTC close 61,243.00 volume 42.1B active addresses 1,101,233 fees 14.2M; ";
        TrainingPrompt With(int lines, int fill) => new("bench", [new ChatMessage("user",
            "Analyse this daily data:\n" + string.Concat(Enumerable.Repeat(Line, lines)) + string.Concat(Enumerable.Repeat(" up", fill)))]);
        int n = 1, f = 0;
        while (Tokens(model, With(n + 1, 0)) <= tokens) n++;
        while (Tokens(model, With(n, f + 1)) <= tokens) f++;
        return With(n, f);
    }

    static string AnswerOf(LanguageModel model, int tokens)
    {
        var words = new List<string>();
        while (model.Tokenizer.Encode(string.Join(' ', words), allowSpecial: false).Length < tokens) words.Add("ETH rose 4.2% on the day while volume fell.");
        return string.Join(' ', words);
    }
}
