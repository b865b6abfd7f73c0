using static TorchSharp.torch;

namespace Cortex1.Model.Kernels;

/// <summary>Between torch tensors and <see cref="BlockMatrix"/>: quantising an HF-layout weight [out, in] in chunks of
/// rows (so a vocabulary-sized matrix needs only a small fp32 buffer), looking rows up (the embedding), dequantising.</summary>
public static unsafe class BlockTensors
{
    const long ChunkElements = 1L << 22;

    public static BlockMatrix Quantize(Tensor hfWeight, BlockFormat format)
    {
        int rows = (int)hfWeight.shape[0], cols = (int)hfWeight.shape[1];
        var m = new BlockMatrix(format, rows, cols);
        try
        {
            var chunk = (int)Math.Max(1, ChunkElements / cols);
            for (var start = 0; start < rows; start += chunk)
            {
                using var scope = NewDisposeScope();
                var n = Math.Min(chunk, rows - start);
                var values = hfWeight.narrow(0, start, n).cpu().to(ScalarType.Float32).contiguous();
                fixed (byte* p = values.bytes) m.SetRows(start, n, (float*)p);
            }
            return m;
        }
        catch
        {
            m.Dispose();
            throw;
        }
    }

    /// <summary>Rows `ids` [N] → [N, cols] fp32 (an embedding lookup through the quantised table).</summary>
    public static Tensor Rows(BlockMatrix m, Tensor ids)
    {
        using var cpuIds = ids.cpu().to(ScalarType.Int64).contiguous();
        var list = cpuIds.data<long>().ToArray();
        foreach (var id in list)
            if (id < 0 || id >= m.Rows) throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} is outside [0, {m.Rows}).");
        var output = empty([list.Length, m.Cols], ScalarType.Float32);
        fixed (byte* o = output.bytes)
        {
            nint op = (nint)o;
            Parallel.For(0, list.Length, i => m.DequantizeRow((int)list[i], (float*)op + (long)i * m.Cols));
        }
        return output;
    }

    /// <summary>The whole matrix [rows, cols] in fp32, written in chunks of rows (a span covers at most 2 GB, less than
    /// a 14B model's embedding in fp32).</summary>
    public static Tensor Dequantize(BlockMatrix m)
    {
        var output = empty([m.Rows, m.Cols], ScalarType.Float32);
        var chunk = (int)Math.Max(1, ChunkElements / m.Cols);
        for (var start = 0; start < m.Rows; start += chunk)
        {
            var n = Math.Min(chunk, m.Rows - start);
            using var rows = output.narrow(0, start, n);
            var first = start;
            fixed (byte* o = rows.bytes)
            {
                nint op = (nint)o;
                Parallel.For(0, n, r => m.DequantizeRow(first + r, (float*)op + (long)r * m.Cols));
            }
        }
        return output;
    }
}
