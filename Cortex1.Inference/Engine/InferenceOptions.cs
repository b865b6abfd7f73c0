using Cortex1.Model.Generation;
using Cortex1.Model.Loading;

namespace Cortex1.Inference.Engine;

/// <summary>Configuration section <c>Inference</c>. Every setting has a default that runs on a laptop CPU.</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary>A local Hugging Face folder (config.json, *.safetensors, tokenizer.json, …).</summary>
    public string? Model { get; set; }

    /// <summary>A prefix in the blob container <c>models</c>; its files are downloaded once into <see cref="CacheFolder"/>.</summary>
    public string? ModelBlob { get; set; }

    /// <summary>
    /// With neither <see cref="Model"/> nor <see cref="ModelBlob"/>: the named shape of a random-weight
    /// model the engine can create (e.g. <c>qwen2-0.5b</c>, for benchmarks), else the <see cref="Embedded"/> model.
    /// </summary>
    public string? RandomShape { get; set; }

    /// <summary>
    /// With no model configured: <c>cortex1-baby</c> (default; the pretrained baby model, which writes market reports) or
    /// <c>tiny</c> (random weights of <see cref="TinyFamily"/>'s architecture, for tests of the engine's plumbing).
    /// </summary>
    public string Embedded { get; set; } = "cortex1-baby";

    /// <summary>Architecture of the embedded tiny model: phi3 (default), qwen2 or llama.</summary>
    public string TinyFamily { get; set; } = "phi3";

    /// <summary>The id clients send as <c>model</c>; defaults to the model folder's name.</summary>
    public string? ModelName { get; set; }

    /// <summary><c>none</c> or <c>nf4</c> (4-bit NormalFloat weights).</summary>
    public string Quantization { get; set; } = QuantizationName.None;

    /// <summary>float32, bfloat16 or float16; empty = the engine's default for the device.</summary>
    public string? DType { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; empty = CUDA when this build and machine have it, else CPU.</summary>
    public string? Device { get; set; }

    /// <summary>Where downloaded models and adapters and the tiny model are kept between runs.</summary>
    public string CacheFolder { get; set; } = Path.Combine(Path.GetTempPath(), "cortex1-inference");

    /// <summary>A local folder whose sub-folders are PEFT adapters, each served under its folder name.</summary>
    public string? AdaptersFolder { get; set; }

    /// <summary>Adapters named by the operator (name → local PEFT folder), served from the start and reloaded when changed;
    /// <c>serve --adapter NAME=PATH</c> fills it. Unlike a request's <c>lora_path</c>, these paths may be anywhere.</summary>
    public Dictionary<string, string> Adapters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A local folder of reports laid out as blob storage's <c>reports</c> container (<c>training/{name}/</c>,
    /// <c>eval/{id}/</c>); when set, the page's reports come from it instead of blob storage.</summary>
    public string? ReportsFolder { get; set; }

    /// <summary>How often the adapters folder and the blob container <c>adapters</c> are looked at for new adapters.</summary>
    public double AdapterPollSeconds { get; set; } = 30;

    /// <summary>Most sequences decoded together in one forward pass.</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>Most prompt tokens prefilled in one forward: prompts admitted together share it (weights read once), up
    /// to this many tokens; a longer prompt still runs, alone.</summary>
    public int MaxPrefillTokens { get; set; } = PrefillBudget.DefaultMaxTokens;

    /// <summary>Most sequences waiting for a batch slot; past that, requests get 429.</summary>
    public int MaxQueue { get; set; } = 64;

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Optional bearer key for <c>/v1</c>; a secret, never logged.</summary>
    public string? ApiKey { get; set; }
}
