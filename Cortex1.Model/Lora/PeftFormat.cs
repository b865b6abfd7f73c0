using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using static TorchSharp.torch;

namespace Cortex1.Model.Lora;

/// <summary>
/// LoRA adapters in Hugging Face PEFT's on-disk format, so PEFT and vLLM read ours and we read theirs:
/// adapter_config.json and adapter_model.safetensors with names like
/// base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight ([r, in]) and .lora_B.weight ([out, r]).
/// phi3 adapters use its fused modules' names (qkv_proj, gate_up_proj), as PEFT does.
/// </summary>
public static class PeftFormat
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    const string Prefix = "base_model.model.";

    /// <summary>Writes adapter <paramref name="name"/> (loaded, with <paramref name="config"/>) to <paramref name="folder"/>.</summary>
    internal static void Save(LanguageModel model, string name, LoraConfig config, string folder)
    {
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        var modules = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var p in model.Decoder.LayerProjections)
            {
                if (!p.Adapters.TryGetValue(name, out var lora)) continue;
                modules.Add(p.Name.Split('.')[^1]);
                tensors.Add(($"{Prefix}{p.Name}.lora_A.weight", lora.A.detach().t().contiguous().cpu()));
                tensors.Add(($"{Prefix}{p.Name}.lora_B.weight", lora.B.detach().t().contiguous().cpu()));
            }
            SafeTensors.Write(Path.Combine(folder, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        var peft = new PeftAdapterConfig(config, ModelOrigin.HubId(model.Folder) ?? model.Name);
        File.WriteAllText(Path.Combine(folder, ConfigFile), peft.ToJson(modules));
    }

    /// <summary>The module a PEFT tensor belongs to: base_model.model.{module}.lora_A.weight (or .lora_A.default.weight, as
    /// PEFT holds it in memory before saving strips the adapter name) → {module}.</summary>
    public static string ModuleOf(string tensorName)
    {
        var n = tensorName.StartsWith(Prefix, StringComparison.Ordinal) ? tensorName[Prefix.Length..] : tensorName;
        n = n.Replace(".default.weight", ".weight");
        foreach (var suffix in (string[])[".lora_A.weight", ".lora_B.weight"])
            if (n.EndsWith(suffix, StringComparison.Ordinal)) return n[..^suffix.Length];
        throw new NotSupportedException($"Adapter tensor '{tensorName}' is not a LoRA A/B weight.");
    }

    /// <summary>Attaches the adapter in <paramref name="folder"/> to <paramref name="model"/> under a free <paramref name="name"/>.</summary>
    internal static void Load(LanguageModel model, string name, string folder)
    {
        var cfgPath = Path.Combine(folder, ConfigFile);
        var wPath = Path.Combine(folder, WeightsFile);
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"No {ConfigFile} in adapter folder '{folder}'.", cfgPath);
        if (!File.Exists(wPath)) throw new FileNotFoundException($"No {WeightsFile} in adapter folder '{folder}'.", wPath);
        using var scope = NewDisposeScope();
        var config = PeftAdapterConfig.Read(folder).Lora;
        var dropout = config.Dropout;

        var projections = model.Decoder.LayerProjections.ToDictionary(p => p.Name);
        using var file = new SafeTensorsFile(wPath);
        var pairs = new Dictionary<string, (Tensor? A, Tensor? B)>();
        try
        {
            foreach (var tensorName in file.Tensors.Keys)
            {
                var module = ModuleOf(tensorName);
                var isA = tensorName.Replace(".default.weight", ".weight").EndsWith(".lora_A.weight", StringComparison.Ordinal);
                if (!projections.ContainsKey(module)) throw new InvalidDataException($"Adapter tensor '{tensorName}' targets '{module}', which this {model.Config.ModelType} model does not have.");
                var t = file.Read(tensorName);
                var cur = pairs.GetValueOrDefault(module);
                pairs[module] = isA ? (t, cur.B) : (cur.A, t);
            }
            if (pairs.Count == 0) throw new InvalidDataException($"Adapter '{folder}' holds no LoRA weights.");
            foreach (var (module, (a, b)) in pairs)
            {
                if (a is null || b is null) throw new InvalidDataException($"Adapter module '{module}' lacks its lora_{(a is null ? "A" : "B")} weight.");
                var rank = config.RankFor(module);
                if (a.shape[0] != rank || b.shape[1] != rank) throw new InvalidDataException($"Adapter module '{module}' has rank {a.shape[0]}, config says r={rank}.");
                var p = projections[module];
                if (a.shape[1] != p.In || b.shape[0] != p.Out)
                    throw new InvalidDataException($"Adapter module '{module}' is {a.shape[1]} → {b.shape[0]}, but this model's is {p.In} → {p.Out}: the adapter was trained on another base model.");
            }
            foreach (var (module, (a, b)) in pairs)
                using (var at = a!.t().to(model.Device)) using (var bt = b!.t().to(model.Device))
                    projections[module].AddAdapter(name, new LoraWeights(at, bt, config.ScaleFor(module), dropout));
            model.RegisterAdapter(name, config);
        }
        catch
        {
            foreach (var p in projections.Values) p.RemoveAdapter(name);
            throw;
        }
        finally
        {
            foreach (var (a, b) in pairs.Values) { a?.Dispose(); b?.Dispose(); }
        }
    }
}
