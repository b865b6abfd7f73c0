using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Trainer.Bench;

namespace Cortex1.Trainer.Cli;

/// <summary>What <c>Cortex1.Trainer</c> runs instead of the service (see <see cref="ServiceCommands"/>); a new command is one line here.</summary>
public static class TrainerCommands
{
    public static IReadOnlyList<ServiceCommand> All { get; } =
    [
        new("train", "Fine-tune a LoRA adapter (SFT warm-up, then GRPO) on a Synth data set in this process.", args => TrainCli.RunAsync(args)),
        new("eval", "Evaluate a model or adapter on a data set's held-out split: rewards, forecasts against what happened, baselines, backtest.", args => Evaluation.EvalCli.RunAsync(args)),
        new("track", "Live prediction tracking: store a model's forecasts on each chain's latest window, score them once due, show the track record.", args => Evaluation.TrackCli.RunAsync(args)),
        new("pretrain", "Pretrain the baby model from scratch on the offline analyst's corpus and publish it to models/cortex1-baby/.", args => Pretrain.PretrainCli.RunAsync(args)),
        new("eval-reward", "The held-out reward of a local or embedded model (greedy answers to a data set's eval split).", args => Evaluation.EvalRewardCli.RunAsync(args)),
        new("export", "Export a base model (+ an adapter, merged) as GGUF (f32, f16, q8_0, q4_0) with an Ollama Modelfile, or as a Hugging Face folder.", args => Export.ExportCli.RunAsync(args)),
        new("models", "Pull a model repository from the Hugging Face hub into blob storage (models pull microsoft/phi-4).", args => Hub.ModelsCli.RunAsync(args)),
        new("bench", "SFT and GRPO step times on the tiny base; with --shape phi-4, peak memory of a full-size QLoRA step (random NF4 weights).", args => Task.FromResult(TrainerBench.Run(args[1..]))),
    ];
}
