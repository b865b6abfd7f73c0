using System.Text.Json.Nodes;
using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model.Export;

/// <summary>
/// A Hugging Face model folder opened for export: config, tokenizer files and its safetensors tensors (read one at a
/// time, fp32), with an optional PEFT LoRA adapter merged into the weights as it is read:
/// W' = W + s·B·A, s = alpha/r (alpha/√r with rsLoRA, per-module rank/alpha patterns honoured), PEFT's merge.
/// Pure file reading: nothing of the engine's runtime state is involved.
/// </summary>
public sealed class HfCheckpoint : IDisposable
{
    readonly List<SafeTensorsFile> _files = [];
    readonly Dictionary<string, SafeTensorsFile> _where = new(StringComparer.Ordinal);
    readonly Dictionary<string, (Tensor A, Tensor B, double Scale)> _lora = new(StringComparer.Ordinal);

    public string Folder { get; }
    public ModelConfig Config { get; }
    public JsonObject TokenizerJson { get; }
    public JsonObject TokenizerConfig { get; }
    /// <summary>Tensor names in file order (as the model was saved).</summary>
    public IReadOnlyList<string> Names { get; }
    public IReadOnlyList<string> Files => _files.Select(f => f.Path).ToList();
    public PeftAdapterConfig? Adapter { get; }

    public HfCheckpoint(string folder, string? adapterFolder = null)
    {
        Folder = Path.GetFullPath(folder);
        Config = ModelConfig.Load(Folder);
        TokenizerJson = ReadJson("tokenizer.json") ?? throw new FileNotFoundException($"No tokenizer.json in model folder '{Folder}'.");
        TokenizerConfig = ReadJson("tokenizer_config.json") ?? [];
        var names = new List<string>();
        try
        {
            foreach (var path in SafeTensors.ModelFiles(Folder))
            {
                var f = new SafeTensorsFile(path);
                _files.Add(f);
                foreach (var n in f.Tensors.Keys) { _where[n] = f; names.Add(n); }
            }
            Names = names;
            if (adapterFolder is not null)
            {
                Adapter = PeftAdapterConfig.Read(adapterFolder);
                LoadAdapter(adapterFolder, Adapter);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    JsonObject? ReadJson(string file)
    {
        var p = Path.Combine(Folder, file);
        return File.Exists(p) ? JsonNode.Parse(File.ReadAllText(p))!.AsObject() : null;
    }

    void LoadAdapter(string folder, PeftAdapterConfig config)
    {
        var path = Path.Combine(folder, PeftFormat.WeightsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {PeftFormat.WeightsFile} in adapter folder '{folder}'.", path);
        using var file = new SafeTensorsFile(path);
        foreach (var name in file.Tensors.Keys.Where(n => n.EndsWith(".lora_A.weight", StringComparison.Ordinal)))
        {
            var module = PeftFormat.ModuleOf(name);
            var bName = name[..^".lora_A.weight".Length] + ".lora_B.weight";
            if (!file.Tensors.ContainsKey(bName)) throw new InvalidDataException($"Adapter module '{module}' lacks its lora_B weight.");
            if (!_where.ContainsKey(module + ".weight")) throw new InvalidDataException($"Adapter tensor '{name}' targets '{module}', which this model does not have.");
            var a = file.Read(name).to(ScalarType.Float32);
            var b = file.Read(bName).to(ScalarType.Float32);
            if (a.shape[0] != config.Lora.RankFor(module)) throw new InvalidDataException($"Adapter module '{module}' has rank {a.shape[0]}, config says r={config.Lora.RankFor(module)}.");
            _lora[module] = (a, b, config.Lora.ScaleFor(module));
        }
        if (_lora.Count == 0) throw new InvalidDataException($"Adapter '{folder}' holds no LoRA weights.");
    }

    public bool Has(string name) => _where.ContainsKey(name);

    public long[] Shape(string name) => _where[name].Tensors[name].Shape;

    /// <summary>The tensor as fp32 (CPU, contiguous), the adapter's ΔW added when it targets this weight.</summary>
    public Tensor Read(string name)
    {
        if (!_where.TryGetValue(name, out var file)) throw new KeyNotFoundException($"Tensor '{name}' is not in model folder '{Folder}'.");
        using var scope = NewDisposeScope();
        var t = file.Read(name).to(ScalarType.Float32);
        if (name.EndsWith(".weight", StringComparison.Ordinal) && _lora.TryGetValue(name[..^".weight".Length], out var lora))
            t = t.PlusScaledInPlace(lora.B.matmul(lora.A), lora.Scale);
        return t.contiguous().MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        foreach (var (a, b, _) in _lora.Values) { a.Dispose(); b.Dispose(); }
        _files.Clear();
        _lora.Clear();
    }
}
