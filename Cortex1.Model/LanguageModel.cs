using Cortex1.Model.Chat;
using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using Cortex1.Model.Tokenization;
using static TorchSharp.torch;

namespace Cortex1.Model;

/// <summary>
/// A loaded causal language model: decoder weights, tokenizer, chat template, and LoRA adapters. Its parts, by role:
/// loading and saving (LanguageModel.Storage.cs), the adapters (LanguageModel.Adapters.cs), inference through
/// per-sequence KV caches (LanguageModel.Inference.cs: Prefill, batched DecodeStep) and training over padded batches
/// (LanguageModel.Training.cs: Forward, ForwardGroup). Wherever an adapter is named, null is the base model.
/// Not thread-safe: one forward at a time (the server serialises steps and batches across requests instead).
/// </summary>
public sealed partial class LanguageModel : IDisposable
{
    readonly AdapterRegistry _adapters = new();

    public ModelConfig Config { get; }
    public TextTokenizer Tokenizer { get; }
    public IChatTemplate ChatTemplate { get; }
    public Decoder Decoder { get; }
    public string Name { get; }
    public string Folder { get; }
    public LoadOptions Options { get; }
    public int ContextLength => Config.MaxPositionEmbeddings;
    public Device Device => Decoder.Device;
    public ScalarType DType => Decoder.DType;
    /// <summary>Wall time and peak process memory of the load.</summary>
    public TimeSpan LoadTime { get; }
    public long LoadPeakBytes { get; }

    LanguageModel(string folder, LoadOptions options, ModelConfig config, TextTokenizer tokenizer, IChatTemplate template, Decoder decoder, TimeSpan loadTime, long peak)
    {
        Folder = folder; Options = options; Config = config; Tokenizer = tokenizer; ChatTemplate = template; Decoder = decoder;
        Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        LoadTime = loadTime; LoadPeakBytes = peak;
    }

    /// <summary>Token ids as an int64 tensor on the model's device; an id outside the vocabulary is refused here, where
    /// the message can name it, rather than deep in an embedding lookup.</summary>
    Tensor IdTensor(ReadOnlySpan<int> tokens)
    {
        var ids = new long[tokens.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {tokens[i]} is outside the vocabulary (size {Config.VocabSize}).");
            ids[i] = tokens[i];
        }
        return tensor(ids, device: Device);
    }

    public void Dispose()
    {
        Decoder.Dispose();
        _adapters.Clear();
    }
}
