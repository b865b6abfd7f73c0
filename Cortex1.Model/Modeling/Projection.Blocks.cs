using Cortex1.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>The block-quantised side of a <see cref="Projection"/> (Q4_0 / Q8_0 / Nf4_0 on a CPU): the weight as a
/// <see cref="BlockMatrix"/> [out, in] multiplied by the kernels; a dense dequantised copy only where autograd must
/// pass through the input (training a LoRA over these weights) or the input is not on the CPU.</summary>
public sealed unsafe partial class Projection
{
    BlockMatrix? _blocks;
    KernelPath _kernels;

    /// <summary>The block-quantised weight, when that is how this projection stores it.</summary>
    public BlockMatrix? Blocks => _blocks;

    /// <summary>Takes an HF-layout weight [out, in] and quantises it into `format` for `kernels`.</summary>
    public void SetBlockWeight(Tensor hfWeight, BlockFormat format, KernelPath kernels)
    {
        if (hfWeight.ndim != 2 || hfWeight.shape[0] != Out || hfWeight.shape[1] != In)
            throw new InvalidDataException($"'{Name}' weight has shape [{string.Join(", ", hfWeight.shape)}], expected [{Out}, {In}].");
        _dense?.Dispose(); _nf4?.Dispose(); _dense = null; _nf4 = null; ResetStorage();
        _blocks = BlockTensors.Quantize(hfWeight, format);
        _kernels = kernels;
    }

    long BlockStorageBytes => _blocks!.StorageBytes;

    /// <summary>Drops the block matrix and the tied-view mark before a new weight is set (or on dispose).</summary>
    void ResetStorage()
    {
        _blocks?.Dispose();
        _blocks = null; SharesStorage = false;
    }

    /// <summary>True when the dense weight is a view of another tensor's storage (the tied embedding).</summary>
    public bool SharesStorage { get; private set; }

    /// <summary>Tied embeddings, dense: the weight becomes a transposed view of `embedding` [out, in], so the matrix
    /// is stored once (matmul takes the transposed strides without a copy).</summary>
    public void ShareTransposed(Tensor embedding)
    {
        if (embedding.ndim != 2 || embedding.shape[0] != Out || embedding.shape[1] != In)
            throw new InvalidDataException($"'{Name}' tied weight has shape [{string.Join(", ", embedding.shape)}], expected [{Out}, {In}].");
        _dense?.Dispose(); _nf4?.Dispose(); _dense = null; _nf4 = null; ResetStorage();
        _dense = embedding.t().DetachFromDisposeScope();
        SharesStorage = true;
    }

    Tensor BlockWeight(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var full = BlockTensors.Dequantize(_blocks!);                    // [out, in] fp32
        var w = dtype == ScalarType.Float32 ? full.t() : full.t().to(dtype);
        return w.MoveToOuterDisposeScope();
    }

    Tensor BlockForward(Tensor x)
    {
        if (x.requires_grad || x.device_type != DeviceType.CPU)
        {
            using var w = BlockWeight(x.dtype);
            return x.matmul(w.to(x.device));
        }
        var rows = x.NumberOfElements / In;
        if (x.ndim == 2 && x.dtype == ScalarType.Float32 && x.is_contiguous())
        {
            // The common case (fp32 compute) with no conversion: a decode step makes hundreds of these calls, and each
            // torch op saved is a native call saved.
            var direct = empty([rows, Out], ScalarType.Float32);
            fixed (byte* xp = x.bytes, yp = direct.bytes)
                BlockKernels.MatMul(_blocks!, (float*)xp, (int)rows, (float*)yp, _kernels);
            return direct;
        }
        using var xf = x.to(ScalarType.Float32).reshape(rows, In).contiguous();
        var y = empty([rows, Out], ScalarType.Float32);
        fixed (byte* xp = xf.bytes, yp = y.bytes)
            BlockKernels.MatMul(_blocks!, (float*)xp, (int)rows, (float*)yp, _kernels);
        long[] shape = [.. x.shape[..^1], Out];
        using (y)
        {
            var shaped = x.ndim == 2 ? y.alias() : y.reshape(shape);
            if (x.dtype == ScalarType.Float32) return shaped;
            using (shaped) return shaped.to(x.dtype);
        }
    }
}
