using System.Diagnostics;
using Cortex1.Model;
using Cortex1.Model.Bench;
using Cortex1.Model.Chat;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using Cortex1.Trainer.Grpo;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Bench;

/// <summary>
/// `bench [--prompt 2000] [--completion 64] [--generations 4] [--steps 2] [--prompts 1] [--quantization nf4|none]`: SFT and GRPO steps
/// on the tiny Phi-4-architecture base with Phi-4's 16k context (what the train job uses without a GPU), on prompts of the
/// given token length; prints seconds per step and peak memory as a table, the last line machine-readable.
/// With `--shape`, the full-size memory bench instead (<see cref="ShapeBench"/>).
/// </summary>
public static class TrainerBench
{
    public static int Run(string[] args)
    {
        if (args.Contains("--shape")) return ShapeBench.Run(args);
        var cli = new BenchArgs(args);
        var promptTokens = cli.Int("--prompt", 2000);
        var completion = cli.Int("--completion", 64);
        var generations = cli.Int("--generations", 4);
        var steps = cli.Int("--steps", 2);
        var promptsPerStep = cli.Int("--prompts", 1);
        var quantizationName = cli.String("--quantization", QuantizationName.Nf4);
        var quantization = QuantizationName.TryParse(quantizationName, out var parsed) ? parsed
            : throw new ArgumentException($"Unknown quantization '{quantizationName}' ({string.Join(", ", QuantizationName.All)}).");

        var folder = Path.Combine(Path.GetTempPath(), $"cortex1-trainer-bench-{Environment.ProcessId}");
        try
        {
            using var model = LanguageModel.Load(TinyModel.Embedded(folder), new LoadOptions(quantization));
            var prompt = PromptOf(model, promptTokens);
            var answer = string.Join(' ', Enumerable.Repeat("ETH rose 4.2% on the day while volume fell.", completion / 8 + 1));
            var options = new GrpoOptions { NumGenerations = generations, MaxCompletionLength = completion, Seed = 1 };
            // Varied rewards (longer answers score higher), so advantages are not all zero and the backward pass is real.
            using var trainer = new GrpoTrainer(model, options, (_, text) => Math.Min(1.0, text.Length / 400.0));
            var tokens = model.Tokenizer.Encode(model.ChatTemplate.Render(prompt.Messages, addGenerationPrompt: true), allowSpecial: true).Length;

            Console.WriteLine($"tiny phi3 (16k context), {quantization}, {promptsPerStep} prompt(s) of {tokens} tokens per step, completion ≤ {completion}, {generations} generations");
            Console.WriteLine("| phase | step | seconds | peak RSS MB |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            var sft = new List<double>();
            var grpo = new List<double>();
            long peak = Environment.WorkingSet;
            for (var s = 0; s < steps; s++)
            {
                var clock = Stopwatch.StartNew();
                trainer.SftStep([.. Enumerable.Repeat(new SftExample(prompt, answer), promptsPerStep)]);
                sft.Add(clock.Elapsed.TotalSeconds);
                peak = Math.Max(peak, Environment.WorkingSet);
                Console.WriteLine(FormattableString.Invariant($"| sft | {s} | {sft[^1]:F2} | {Environment.WorkingSet / 1e6:F0} |"));
            }
            for (var s = 0; s < steps; s++)
            {
                var clock = Stopwatch.StartNew();
                trainer.Step(s, [.. Enumerable.Repeat(prompt, promptsPerStep)]);
                grpo.Add(clock.Elapsed.TotalSeconds);
                peak = Math.Max(peak, Environment.WorkingSet);
                Console.WriteLine(FormattableString.Invariant($"| grpo | {s} | {grpo[^1]:F2} | {Environment.WorkingSet / 1e6:F0} |"));
            }
            Console.WriteLine();
            Console.WriteLine(FormattableString.Invariant(
                $"prompt_tokens={tokens} prompts={promptsPerStep} completion={completion} generations={generations} quantization={quantization} sft_step_s={sft.Average():F2} grpo_step_s={grpo.Average():F2} peak_mb={peak / 1e6:F0}"));
            return 0;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    /// <summary>A market-data prompt of about <paramref name="tokens"/> tokens, as Synth's prompts are long tables.</summary>
    static TrainingPrompt PromptOf(LanguageModel model, int tokens)
    {
        const string Line = "2021-03-14 BTC close 61,243.00 volume 42.1B active addresses 1,101,233 fees 14.2M; ";
        var perLine = Math.Max(1, model.Tokenizer.Encode(Line, allowSpecial: false).Length);
        var text = "Analyse this daily data and estimate next week's range:\n" + string.Concat(Enumerable.Repeat(Line, Math.Max(1, tokens / perLine)));
        return new TrainingPrompt("bench", [new ChatMessage("user", text)]);
    }
}
