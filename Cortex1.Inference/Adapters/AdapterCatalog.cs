using System.Collections.Concurrent;
using Cortex1.Inference.Engine;
using Cortex1.Inference.Validation;

namespace Cortex1.Inference.Adapters;

/// <summary>One LoRA adapter being served: its model id, when it was loaded, and the version (time) of its files.</summary>
public sealed record AdapterInfo(string Name, DateTimeOffset LoadedAt, DateTimeOffset? Version);

/// <summary>
/// The models a request may name: the base model and every loaded adapter. Resolving a name is the
/// single place an unknown model becomes a 404.
/// </summary>
public sealed class AdapterCatalog(ModelHost host)
{
    private readonly ConcurrentDictionary<string, AdapterInfo> _adapters = new(StringComparer.Ordinal);

    public IReadOnlyCollection<AdapterInfo> Adapters => _adapters.Values.OrderBy(a => a.Name, StringComparer.Ordinal).ToList();

    public bool TryGet(string name, out AdapterInfo adapter) => _adapters.TryGetValue(name, out adapter!);

    internal void Add(AdapterInfo adapter) => _adapters[adapter.Name] = adapter;

    internal bool Remove(string name) => _adapters.TryRemove(name, out _);

    /// <summary>The adapter a request's <c>model</c> names (null = the base model); 404 for any other name, 503 while loading.</summary>
    public string? Resolve(string model)
    {
        _ = host.Model; // 503 until there is a model to serve.
        if (model == host.Name) return null;
        if (_adapters.ContainsKey(model)) return model;
        throw ApiException.ModelNotFound(model, [host.Name!, .. _adapters.Keys.Order(StringComparer.Ordinal)]);
    }
}
