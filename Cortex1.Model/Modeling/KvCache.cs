using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>
/// One sequence's keys and values per layer, [kvHeads, capacity, headDim], grown by doubling so appending a token
/// copies only that token. `Adapter` is the LoRA adapter this sequence runs with (null = base model).
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly Tensor?[] _k, _v;
    readonly long _kvHeads, _headDim;
    readonly ScalarType _dtype;
    readonly Device _device;

    public int Length { get; private set; }
    public string? Adapter { get; set; }
    /// <summary>The token ids this cache holds, in order (what the Generator penalises and what a prefix reuse checks).</summary>
    public List<int> Tokens { get; } = [];

    internal KvCache(int layers, long kvHeads, long headDim, ScalarType dtype, Device device, string? adapter)
    {
        _k = new Tensor?[layers]; _v = new Tensor?[layers];
        _kvHeads = kvHeads; _headDim = headDim; _dtype = dtype; _device = device; Adapter = adapter;
    }

    /// <summary>Writes k/v [kvHeads, T, d] after the committed length; returns views of all keys/values so far.</summary>
    internal (Tensor K, Tensor V) Append(int layer, Tensor k, Tensor v)
    {
        var t = k.shape[1];
        var need = Length + t;
        var capacity = _k[layer]?.shape[1] ?? 0;
        if (need > capacity)
        {
            var newCap = Math.Max(Math.Max(need, capacity * 2), 64);
            _k[layer] = Grow(_k[layer], newCap);
            _v[layer] = Grow(_v[layer], newCap);
        }
        _k[layer]!.narrow(1, Length, t).copy_(k);
        _v[layer]!.narrow(1, Length, t).copy_(v);
        return (_k[layer]!.narrow(1, 0, need), _v[layer]!.narrow(1, 0, need));
    }

    Tensor Grow(Tensor? old, long capacity)
    {
        var fresh = zeros([_kvHeads, capacity, _headDim], _dtype, _device);
        fresh.DetachFromDisposeScope();
        if (old is not null)
        {
            fresh.narrow(1, 0, Length).copy_(old.narrow(1, 0, Length));
            old.Dispose();
        }
        return fresh;
    }

    internal void Commit(ReadOnlySpan<int> tokens)
    {
        Length += tokens.Length;
        Tokens.AddRange(tokens);
    }

    /// <summary>Makes this cache hold exactly what <paramref name="source"/> holds: a prompt shared by several sequences (a
    /// GRPO group) is prefilled once and copied, which costs a memory copy instead of a forward.</summary>
    public void CopyFrom(KvCache source)
    {
        if (source._k.Length != _k.Length || source._kvHeads != _kvHeads || source._headDim != _headDim || source._dtype != _dtype)
            throw new ArgumentException("The caches belong to different models.", nameof(source));
        Truncate(0);   // nothing of ours to keep, so Grow copies nothing
        using var scope = NewDisposeScope();
        for (var layer = 0; layer < _k.Length; layer++)
        {
            if (source._k[layer] is not { } k || source._v[layer] is not { } v) continue;
            if ((_k[layer]?.shape[1] ?? 0) < source.Length)
            {
                _k[layer] = Grow(_k[layer], k.shape[1]);
                _v[layer] = Grow(_v[layer], v.shape[1]);
            }
            _k[layer]!.narrow(1, 0, source.Length).copy_(k.narrow(1, 0, source.Length));
            _v[layer]!.narrow(1, 0, source.Length).copy_(v.narrow(1, 0, source.Length));
        }
        Length = source.Length;
        Tokens.AddRange(source.Tokens);
    }

    /// <summary>Forgets everything after the first `length` tokens (keeps a shared prompt prefix).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
        Tokens.RemoveRange(length, Tokens.Count - length);
    }

    public long Bytes => _k.Sum(k => k is null ? 0 : k.NumberOfElements * k.ElementSize) * 2;

    public void Dispose()
    {
        for (var i = 0; i < _k.Length; i++) { _k[i]?.Dispose(); _v[i]?.Dispose(); _k[i] = _v[i] = null; }
    }
}
