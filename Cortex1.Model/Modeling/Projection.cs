using Cortex1.Model.Lora;
using Cortex1.Model.Nf4;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>Which LoRA adapter each row of a forward uses: one adapter for all rows, or groups of rows (batched decode
/// of sequences that picked different adapters). A null name is the base model.</summary>
public sealed record AdapterRouting(IReadOnlyList<(string Name, Tensor? Rows)> Groups)
{
    public static AdapterRouting None { get; } = new([]);
    public static AdapterRouting All(string? name) => name is null ? None : new([(name, null)]);
}

/// <summary>
/// A linear layer y = x·W (+ b) with W stored [in, out] (matmul on that layout is faster than F.linear here), either
/// dense (bf16/fp32) or NF4 (dequantised at matmul time, so only one layer's full weight exists at once), plus any
/// LoRA adapters attached to it by name.
/// </summary>
public sealed unsafe partial class Projection : IDisposable
{
    Tensor? _dense;
    Nf4Tensor? _nf4;
    readonly Dictionary<string, LoraWeights> _adapters = [];

    public string Name { get; }
    public long In { get; }
    public long Out { get; }
    public Tensor? Bias { get; private set; }
    public bool IsQuantized => _nf4 is not null;
    public IReadOnlyDictionary<string, LoraWeights> Adapters => _adapters;

    public Projection(string name, long inFeatures, long outFeatures) { Name = name; In = inFeatures; Out = outFeatures; }

    public bool HasWeight => _dense is not null || _nf4 is not null || _blocks is not null;

    /// <summary>Takes an HF-layout weight [out, in] (any dtype/device); stores it transposed, cast or quantised.</summary>
    public void SetWeight(Tensor hfWeight, ScalarType dtype, Device device, bool quantize)
    {
        if (hfWeight.ndim != 2 || hfWeight.shape[0] != Out || hfWeight.shape[1] != In)
            throw new InvalidDataException($"'{Name}' weight has shape [{string.Join(", ", hfWeight.shape)}], expected [{Out}, {In}].");
        _dense?.Dispose(); _nf4?.Dispose(); _dense = null; _nf4 = null; ResetStorage();
        using var scope = NewDisposeScope();
        var w = hfWeight.to(device);
        if (quantize) { _nf4 = Nf4Tensor.Quantize(w.t()); return; }
        // Cast before transposing (the cast of a contiguous tensor is one pass), then one copy into [in, out].
        var dense = w.to(dtype).t().contiguous();
        // A [1, n] or [n, 1] weight is already contiguous transposed and may alias the caller's tensor: copy it.
        if (In == 1 || Out == 1) dense = dense.clone();
        _dense = dense.DetachFromDisposeScope();
    }

    /// <summary>Takes an NF4 weight already in this projection's [in, out] layout (e.g. <see cref="Nf4Tensor.Random"/>).</summary>
    public void SetWeight(Nf4Tensor weight)
    {
        if (!weight.Shape.SequenceEqual([In, Out])) throw new InvalidDataException($"'{Name}' NF4 weight has shape [{string.Join(", ", weight.Shape)}], expected [{In}, {Out}].");
        _dense?.Dispose(); _nf4?.Dispose(); _dense = null;
        _nf4 = weight;
    }

    public void SetBias(Tensor bias, ScalarType dtype, Device device)
    {
        if (bias.ndim != 1 || bias.shape[0] != Out) throw new InvalidDataException($"'{Name}' bias has shape [{string.Join(", ", bias.shape)}], expected [{Out}].");
        Bias?.Dispose();
        Bias = bias.to(device).to(dtype).contiguous().clone().DetachFromDisposeScope();
    }

    /// <summary>The weight [in, out] in `dtype` (dequantised when NF4). Caller disposes.</summary>
    public Tensor Weight(ScalarType dtype) =>
        _blocks is not null ? BlockWeight(dtype) : _nf4?.Dequantize(dtype) ?? (_dense!.dtype == dtype ? _dense.alias() : _dense.to(dtype));

    public long StorageBytes => _blocks is not null ? BlockStorageBytes : _nf4?.StorageBytes ?? _dense!.NumberOfElements * _dense.ElementSize;

    public Tensor Forward(Tensor x, AdapterRouting routing)
    {
        if (_dense is not null && x.dtype != _dense.dtype)
            throw new ArgumentException($"'{Name}' holds {_dense.dtype} weights but got {x.dtype} input.");
        using var scope = NewDisposeScope();
        Tensor y;
        if (_blocks is not null) y = BlockForward(x);
        else if (UseDecodeKernel(x)) y = DecodeKernelMatMul(x);
        else if (_nf4 is not null) y = Nf4MatMul.Apply(x, _nf4);
        else y = x.matmul(_dense!);
        if (Bias is not null) y = y.PlusInPlace(Bias);
        foreach (var (name, rows) in routing.Groups)
        {
            if (!_adapters.TryGetValue(name, out var lora)) continue;
            y = rows is null ? y.Plus(lora.Delta(x)) : y.IndexPlus(0, rows, lora.Delta(x.index_select(0, rows)));
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>A few rows (decode) over NF4 weights with no gradient to carry, on a CPU with AVX2/FMA. (Dense bf16/fp32
    /// weights stay with libtorch's matmul, which measured faster here than a C# kernel.)</summary>
    bool UseDecodeKernel(Tensor x) =>
        _nf4 is not null && DecodeKernels.Supported && x.device_type == DeviceType.CPU && x.ndim == 2
        && x.shape[0] <= DecodeKernels.MaxRows && Out % Nf4Tensor.BlockSize == 0 && !x.requires_grad;

    Tensor DecodeKernelMatMul(Tensor x)
    {
        var rows = (int)x.shape[0];
        using var xf = x.to(ScalarType.Float32).contiguous();
        var y = empty([rows, Out], ScalarType.Float32);
        fixed (byte* xp = xf.bytes, yp = y.bytes, pp = _nf4!.Packed.bytes, ap = _nf4.Absmax.bytes)
            DecodeKernels.MatMul(new Nf4Rows(pp, (float*)ap, (int)Out), (float*)xp, rows, (int)In, (int)Out, (float*)yp);
        if (x.dtype == ScalarType.Float32) return y;
        using (y) return y.to(x.dtype);
    }

    public void AddAdapter(string name, LoraWeights weights)
    {
        if (weights.A.shape[0] != In || weights.B.shape[1] != Out)
            throw new InvalidDataException($"LoRA '{name}' on '{Name}' has A [{string.Join(", ", weights.A.shape)}], B [{string.Join(", ", weights.B.shape)}]; expected [{In}, r] and [r, {Out}].");
        RemoveAdapter(name);
        _adapters[name] = weights;
    }

    public void RemoveAdapter(string name)
    {
        if (_adapters.Remove(name, out var old)) old.Dispose();
    }

    public void Dispose()
    {
        _dense?.Dispose(); _nf4?.Dispose(); Bias?.Dispose(); ResetStorage();
        foreach (var a in _adapters.Values) a.Dispose();
        _adapters.Clear();
    }
}
