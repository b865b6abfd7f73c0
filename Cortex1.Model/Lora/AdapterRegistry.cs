namespace Cortex1.Model.Lora;

/// <summary>
/// The LoRA adapters a model holds, by name, with their configs. Every entry point that takes an adapter name asks
/// here first, so an unknown name fails loudly instead of silently running (or training) the base model.
/// </summary>
internal sealed class AdapterRegistry
{
    readonly Dictionary<string, LoraConfig> _configs = [];

    public IReadOnlyCollection<string> Names => _configs.Keys;
    public IReadOnlyDictionary<string, LoraConfig> Configs => _configs;

    /// <summary>Throws unless <paramref name="name"/> is loaded; null (the base model) always passes.</summary>
    public void Require(string? name)
    {
        if (name is not null && !_configs.ContainsKey(name)) throw new KeyNotFoundException($"No adapter '{name}' is loaded.");
    }

    public LoraConfig ConfigOf(string name)
    {
        Require(name);
        return _configs[name];
    }

    /// <summary>Throws when <paramref name="name"/> is taken: adding it again would mix two adapters' weights.</summary>
    public void RequireFree(string name)
    {
        if (_configs.ContainsKey(name)) throw new InvalidOperationException($"Adapter '{name}' is already loaded.");
    }

    public void Add(string name, LoraConfig config) => _configs[name] = config;

    public void Remove(string name)
    {
        Require(name);
        _configs.Remove(name);
    }

    public void Clear() => _configs.Clear();
}
