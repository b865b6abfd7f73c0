using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model;

/// <summary>The LoRA adapters: attach a trainable one, load and save PEFT folders, unload.</summary>
public sealed partial class LanguageModel
{
    public IReadOnlyCollection<string> Adapters => _adapters.Names;
    public IReadOnlyDictionary<string, LoraConfig> AdapterConfigs => _adapters.Configs;

    /// <summary>Attaches a fresh trainable adapter (B = 0, so it starts as the base model). Returns its parameters.</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> AddAdapter(string name, LoraConfig config, int seed = 0)
    {
        _adapters.RequireFree(name);
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed, Device);
        var projections = TargetProjections(config.Targets).ToList();
        if (projections.Count == 0) throw new ArgumentException($"No projection matches target modules [{string.Join(", ", config.Targets)}].");
        foreach (var p in projections) p.AddAdapter(name, LoraWeights.Create(p.In, p.Out, config, Device, gen));
        _adapters.Add(name, config);
        return AdapterParameters(name);
    }

    /// <summary>The adapter's A and B of every projection it is on, in layer order (the order the optimiser state keeps).</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> AdapterParameters(string name) =>
        Decoder.LayerProjections.Where(p => p.Adapters.ContainsKey(name))
            .SelectMany(p => new[] { p.Adapters[name].A, p.Adapters[name].B }).ToList();

    /// <summary>Loads a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) under `name`.</summary>
    public void LoadAdapter(string name, string peftFolder)
    {
        _adapters.RequireFree(name);
        PeftFormat.Load(this, name, peftFolder);
    }

    public void SaveAdapter(string name, string peftFolder) => PeftFormat.Save(this, name, _adapters.ConfigOf(name), peftFolder);

    public void UnloadAdapter(string name)
    {
        _adapters.Remove(name);
        foreach (var p in Decoder.LayerProjections) p.RemoveAdapter(name);
    }

    /// <summary>Registers adapter weights already attached by <see cref="PeftFormat"/>.</summary>
    internal void RegisterAdapter(string name, LoraConfig config) => _adapters.Add(name, config);

    /// <summary>The projections a LoRA target names on this architecture (phi3: q/k/v → qkv_proj, gate/up → gate_up_proj).</summary>
    internal IEnumerable<Projection> TargetProjections(IEnumerable<string> targets)
    {
        var names = targets.Select(t => Config.FusedProjections ? t switch
        {
            "q_proj" or "k_proj" or "v_proj" => "qkv_proj",
            "gate_proj" or "up_proj" => "gate_up_proj",
            _ => t,
        } : t).ToHashSet();
        foreach (var layer in Decoder.Layers)
            foreach (var (name, p) in layer.Projections)
                if (names.Contains(name)) yield return p;
    }
}
