using System.Text.RegularExpressions;
using Cortex1.Model.Baby;

namespace Cortex1.Trainer.Pretrain;

/// <summary>
/// A pretraining run as the API, the job and the command take it: the corpus (a Synth data set; its train split only),
/// the shape and schedule, and where the model is published (<c>models/{Name}/</c>). Unset fields take
/// <see cref="PretrainOptions"/>' and <see cref="BabyShape"/>'s defaults.
/// </summary>
public sealed partial record PretrainRequest(
    string Name = BabyModel.Name,
    string Dataset = PretrainRequest.CorpusDataset,
    string Version = PretrainRequest.CorpusVersion,
    int? Steps = null,
    int? BatchSize = null,
    int? SequenceLength = null,
    double? LearningRate = null,
    int? Hidden = null,
    int? Layers = null,
    int? Heads = null,
    int? VocabSize = null,
    int Seed = 1234,
    double? MaxSeconds = null,
    bool? AnswerOnlyLoss = null,
    string? Init = null)
{
    public const string JobKind = "pretrain";
    public const string CorpusDataset = "cortex1-corpus";
    /// <summary>The corpus in the compact prompt profile (Synth's <c>--prompt-profile compact</c>), the prompts the baby is trained and evaluated on.</summary>
    public const string CorpusVersion = "offline-compact-s42";

    public PretrainOptions Options()
    {
        var defaults = new PretrainOptions();
        var shape = defaults.Shape;
        shape = shape with
        {
            Hidden = Hidden ?? shape.Hidden, Layers = Layers ?? shape.Layers, Heads = Heads ?? shape.Heads,
            KvHeads = Heads ?? shape.KvHeads, Intermediate = 3 * (Hidden ?? shape.Hidden), VocabSize = VocabSize ?? shape.VocabSize,
        };
        return defaults with
        {
            Shape = shape, Steps = Steps ?? defaults.Steps, BatchSize = BatchSize ?? defaults.BatchSize,
            SequenceLength = SequenceLength ?? defaults.SequenceLength, LearningRate = LearningRate ?? defaults.LearningRate, Seed = Seed,
            // MaxSeconds 0: no budget, the steps alone.
            MaxSeconds = MaxSeconds is 0 ? null : MaxSeconds ?? defaults.MaxSeconds,
            AnswerOnlyLoss = AnswerOnlyLoss ?? defaults.AnswerOnlyLoss,
            InitFrom = Init,
        };
    }

    /// <summary>Null when valid, else what is wrong.</summary>
    public string? Validate() =>
        !SafeName().IsMatch(Name) ? $"model name '{Name}' must be lower-case letters, digits, '.', '_', '-' or '/'"
        : VocabSize is < 512 ? "the vocabulary needs at least 512 entries"
        : Init is { } init && !File.Exists(Path.Combine(init, "config.json")) ? $"init '{init}' is not a model folder (no config.json)"
        : Init is not null && (Hidden ?? Layers ?? Heads ?? VocabSize) is not null ? "a continued model keeps its folder's shape and tokenizer: leave out hidden, layers, heads and vocab"
        : Options().Validate();

    [GeneratedRegex("^[a-z0-9][a-z0-9._/-]*$")]
    private static partial Regex SafeName();
}
