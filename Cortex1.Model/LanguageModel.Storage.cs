using System.Diagnostics;
using System.Text.Json.Nodes;
using Cortex1.Model.Chat;
using Cortex1.Model.Config;
using Cortex1.Model.Devices;
using Cortex1.Model.Kernels;
using Cortex1.Model.Loading;
using Cortex1.Model.Modeling;
using Cortex1.Model.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model;

/// <summary>Loading a model from a Hugging Face folder, and saving one (optionally with an adapter merged in).</summary>
public sealed partial class LanguageModel
{
    /// <summary>The files besides the weights that make a folder a usable HF model; saving copies them over.</summary>
    static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json"];

    /// <summary>
    /// Loads an HF folder. Tensors stream shard by shard through a memory map; each is converted (or NF4-quantised)
    /// as it arrives and its source freed, so peak memory stays near the final model size.
    /// </summary>
    public static LanguageModel Load(string folder, LoadOptions? options = null, IProgress<string>? progress = null)
    {
        options ??= LoadOptions.Default;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Model folder '{folder}' does not exist.");
        var sw = Stopwatch.StartNew();
        var config = ModelConfig.Load(folder);
        var device = DeviceSelector.Resolve(options.Device);
        var (dtype, dtypeReason) = options.DType is { } forced ? (forced, "given by the load options")
            : DeviceSelector.Choose(device.type, CpuFeatures.Current, Environment.GetEnvironmentVariable(DeviceSelector.CpuDTypeVariable));
        var blocks = options.Quantization.BlockFormat();
        if (blocks is not null && device.type != DeviceType.CPU)
            throw new NotSupportedException($"Quantization '{QuantizationName.Of(options.Quantization)}' runs on the CPU kernels; on {device.type} use nf4 or none.");
        var kernels = options.Kernels ?? KernelPaths.Default;
        progress?.Report($"Compute dtype {DTypeName.Of(dtype)} ({dtypeReason}); " +
                         (blocks is null ? "" : $"{QuantizationName.Of(options.Quantization)} weights on the {KernelPaths.Name(kernels)} kernels; ") +
                         $"CPU: {CpuFeatures.Current.Describe()}");
        var (tokenizer, template) = ReadTokenizer(folder, config);

        var decoder = new Decoder(config, dtype, device, options.Quantization == Quantization.Nf4, blocks, kernels);
        try
        {
            var pending = new HashSet<string>(decoder.RequiredTensorNames());
            var files = SafeTensors.ModelFiles(folder);
            long peak = Environment.WorkingSet;
            for (var f = 0; f < files.Count; f++)
            {
                using var file = new SafeTensorsFile(files[f]);
                progress?.Report($"Loading {Path.GetFileName(files[f])} ({f + 1}/{files.Count}, {file.Tensors.Count} tensors)");
                foreach (var name in file.Tensors.Keys)
                {
                    if (!pending.Contains(name)) continue;
                    using (var src = file.Read(name)) decoder.Assign(name, src);
                    pending.Remove(name);
                    peak = Math.Max(peak, Environment.WorkingSet);
                }
            }
            if (pending.Count > 0)
                throw new InvalidDataException($"Model folder '{folder}' is missing tensor '{pending.Order(StringComparer.Ordinal).First()}'" +
                                               (pending.Count > 1 ? $" (and {pending.Count - 1} more)." : "."));
            progress?.Report($"Loaded {config.ModelType} ({config.NumLayers} layers, {dtype}{(decoder.Quantized ? "/" + QuantizationName.Of(options.Quantization) : "")}, {device.type}) in {sw.Elapsed.TotalSeconds:F1}s, weights {decoder.WeightBytes / 1e6:F0} MB");
            return new LanguageModel(folder, options, config, tokenizer, template, decoder, sw.Elapsed, peak);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>The folder's tokenizer and chat template (tokenizer_config.json's, else the model type's).</summary>
    static (TextTokenizer Tokenizer, IChatTemplate Template) ReadTokenizer(string folder, ModelConfig config)
    {
        var tokenizer = TextTokenizer.Load(folder, config.EosTokenIds);
        string? jinja = null;
        var tcPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(tcPath)) jinja = JsonNode.Parse(File.ReadAllText(tcPath))?["chat_template"] is JsonValue v ? v.GetValue<string>() : null;
        return (tokenizer, ChatTemplates.For(jinja, config.ModelType, tokenizer.BosToken));
    }

    /// <summary>
    /// Writes this model to `folder` as an HF model in `dtype` (default: the compute dtype; NF4 weights dequantised),
    /// with `mergeAdapter`'s ΔW added to its projections (a full-precision merged copy, null = the base model alone),
    /// plus the tokenizer files.
    /// </summary>
    public void Save(string folder, ScalarType? dtype = null, string? mergeAdapter = null, long maxShardBytes = long.MaxValue)
    {
        _adapters.Require(mergeAdapter);
        var dt = dtype ?? DType;
        var config = Config with { TorchDType = DTypeName.Of(dt) };
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        try
        {
            using (no_grad())
            {
                var deltas = mergeAdapter is null ? [] : Decoder.LayerProjections
                    .Where(p => p.Adapters.ContainsKey(mergeAdapter)).ToDictionary(p => p.Name + ".weight", p => p.Adapters[mergeAdapter]);
                foreach (var (name, t) in Decoder.Export(dt))
                {
                    if (deltas.TryGetValue(name, out var lora))
                    {
                        using var delta = lora.DeltaWeight();
                        using var merged = t.to(ScalarType.Float32).Plus(delta.t()).to(dt);
                        t.Dispose();
                        tensors.Add((name, merged.cpu().contiguous()));
                    }
                    else { tensors.Add((name, t.cpu())); }
                }
            }
            SafeTensors.WriteModel(folder, tensors, maxShardBytes);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        foreach (var f in TokenizerFiles)
        {
            var src = Path.Combine(Folder, f);
            if (File.Exists(src) && Path.GetFullPath(src) != Path.GetFullPath(Path.Combine(folder, f))) File.Copy(src, Path.Combine(folder, f), true);
        }
    }
}
