using Cortex1.Model.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Nf4;

/// <summary>
/// A weight in QLoRA's NormalFloat4: blocks of 64 values scaled by their absmax, each value the index of the
/// nearest of 16 normal-quantile levels, two indices per byte (first in the high nibble, as bitsandbytes packs).
/// Absmax is kept in fp32 (no double quantisation), so storage is 4.5 bits per weight.
/// </summary>
public sealed unsafe partial class Nf4Tensor : IDisposable
{
    public const int BlockSize = 64;

    /// <summary>QLoRA's NF4 levels (quantiles of N(0,1) scaled to [-1, 1], with an exact zero).</summary>
    public static readonly float[] Levels =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
        -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
        0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
        0.7229568362236023f, 1.0f,
    ];

    public Tensor Packed { get; }   // uint8 [numel/2]
    public Tensor Absmax { get; }   // fp32 [numel/64]
    public long[] Shape { get; }
    readonly Dictionary<ScalarType, Tensor> _pairTables = [];

    Nf4Tensor(Tensor packed, Tensor absmax, long[] shape) { Packed = packed; Absmax = absmax; Shape = shape; }

    public long NumberOfElements => Shape.Aggregate(1L, (a, b) => a * b);
    public long StorageBytes => Packed.NumberOfElements + Absmax.NumberOfElements * 4;

    /// <summary>Quantises a weight (any float dtype, any layout; the result is in its row-major order). The source is
    /// left untouched. Works in chunks so a 14B model's largest matrix needs only a small transient buffer.</summary>
    public static Nf4Tensor Quantize(Tensor weight) =>
        weight.device_type == DeviceType.CPU && Nf4Quantizer.Supported ? QuantizeOnCpu(weight) : QuantizeWithTorchOps(weight);

    const long Chunk = 1L << 22;   // elements per pass (a multiple of the block size)

    static void CheckBlocks(Tensor weight)
    {
        if (weight.NumberOfElements % BlockSize != 0)
            throw new ArgumentException($"NF4 needs a multiple of {BlockSize} elements; got {weight.NumberOfElements}.");
    }

    /// <summary>The C# pass (<see cref="Nf4Quantizer"/>): bit-identical to <see cref="QuantizeWithTorchOps"/>, several
    /// times faster on a CPU, since it never materialises the scaled values or the bucket indices.</summary>
    internal static Nf4Tensor QuantizeOnCpu(Tensor weight)
    {
        CheckBlocks(weight);
        var n = weight.NumberOfElements;
        using var scope = NewDisposeScope();
        var flat = weight.reshape(-1);
        var packed = empty([n / 2], ScalarType.Byte).DetachFromDisposeScope();
        var absmax = empty([n / BlockSize], ScalarType.Float32).DetachFromDisposeScope();
        for (long start = 0; start < n; start += Chunk)
        {
            using var inner = NewDisposeScope();
            var length = Math.Min(Chunk, n - start);
            var values = flat.narrow(0, start, length).to(ScalarType.Float32).contiguous();
            fixed (byte* x = values.bytes, p = packed.bytes, a = absmax.bytes)
                Nf4Quantizer.Run((float*)x, length / BlockSize, p + start / 2, (float*)a + start / BlockSize);
        }
        return new Nf4Tensor(packed, absmax, weight.shape);
    }

    /// <summary>Quantisation through torch ops, for any device.</summary>
    internal static Nf4Tensor QuantizeWithTorchOps(Tensor weight)
    {
        CheckBlocks(weight);
        var n = weight.NumberOfElements;
        const long chunk = Chunk;
        using var scope = NewDisposeScope();
        var flat = weight.reshape(-1);
        var levels = tensor(Levels, device: weight.device);
        var mids = levels[..^1].Plus(levels[1..]).DividedBy(2);
        var packedParts = new List<Tensor>();
        var absmaxParts = new List<Tensor>();
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = NewDisposeScope();
            var blocks = flat.narrow(0, start, Math.Min(chunk, n - start)).to(ScalarType.Float32).reshape(-1, BlockSize);
            var absmax = blocks.abs().amax([1]);
            var scaled = blocks / absmax.AtLeast(1e-12f).unsqueeze(1);
            var idx = bucketize(scaled.reshape(-1), mids).to(ScalarType.Byte).reshape(-1, 2);
            packedParts.Add(idx[.., 0].bitwise_left_shift(4).bitwise_or(idx[.., 1]).MoveToOuterDisposeScope());
            absmaxParts.Add(absmax.MoveToOuterDisposeScope());
        }
        var packed = packedParts.Count == 1 ? packedParts[0].contiguous().clone() : cat(packedParts, 0);
        var scales = absmaxParts.Count == 1 ? absmaxParts[0].contiguous().clone() : cat(absmaxParts, 0);
        // Detached, not moved out: a quantised weight outlives any scope its caller has open.
        return new Nf4Tensor(packed.DetachFromDisposeScope(), scales.DetachFromDisposeScope(), weight.shape);
    }

    /// <summary>Rebuilds the full weight in `dtype`. One gather through a 256-entry byte→pair table, then one scale.</summary>
    public Tensor Dequantize(ScalarType dtype)
    {
        if (Nf4Dequantizer.Supported && Packed.device_type == DeviceType.CPU && dtype is ScalarType.Float32 or ScalarType.BFloat16)
        {
            var output = empty(Shape, dtype);
            fixed (byte* pp = Packed.bytes, ap = Absmax.bytes, op = output.bytes)
                Nf4Dequantizer.Run(pp, (float*)ap, NumberOfElements, op, dtype == ScalarType.BFloat16);
            return output;
        }
        using var scope = NewDisposeScope();
        var table = PairTable(dtype);
        var pairs = table.index_select(0, Packed.to(ScalarType.Int32));               // [numel/2, 2]
        var w = pairs.view(-1, BlockSize) * Absmax.to(dtype).unsqueeze(1);
        return w.view(Shape).MoveToOuterDisposeScope();
    }

    Tensor PairTable(ScalarType dtype)
    {
        lock (_pairTables)
        {
            if (_pairTables.TryGetValue(dtype, out var t)) return t;
            var values = new float[512];
            for (var b = 0; b < 256; b++) { values[2 * b] = Levels[b >> 4]; values[2 * b + 1] = Levels[b & 15]; }
            t = tensor(values, [256, 2], device: Packed.device).to(dtype);
            t.DetachFromDisposeScope();
            _pairTables[dtype] = t;
            return t;
        }
    }

    public void Dispose()
    {
        Packed.Dispose();
        Absmax.Dispose();
        foreach (var t in _pairTables.Values) t.Dispose();
    }
}
