using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Cortex1.Model.Export;
using Cortex1.Model.Nf4;

namespace Cortex1.Model.Kernels;

/// <summary>
/// A [rows, cols] weight in a <see cref="BlockFormat"/>, laid out for the kernels rather than as GGUF's interleaved
/// {scale, quants} blocks: per row, its blocks' quants back to back (64-byte aligned), and its fp16 scales in a
/// separate array, so a row streams through one pointer and its scales convert eight at a time. Rows hold an even
/// number of blocks (the AVX-512 kernels take two per vector); the padding, and the tail of a row whose length is not
/// a multiple of 32, hold zeros with scale 0. Q4_0/Q8_0 rows are quantised by <see cref="GgufQuant"/> (ggml's
/// reference arithmetic), so their values are bit-identical to an exported GGUF file's.
/// </summary>
public sealed unsafe class BlockMatrix : IDisposable
{
    public BlockFormat Format { get; }
    public int Rows { get; }
    public int Cols { get; }
    /// <summary>Blocks per row as stored (even, ≥ cols/32).</summary>
    public int Blocks { get; }
    internal byte* Quants { get; private set; }
    internal ushort* Scales { get; private set; }
    internal int QuantBytes { get; }

    public BlockMatrix(BlockFormat format, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0) throw new ArgumentException($"A block matrix needs positive sizes, not [{rows}, {cols}].");
        Format = format; Rows = rows; Cols = cols;
        var blocks = (cols + BlockFormats.BlockSize - 1) / BlockFormats.BlockSize;
        Blocks = blocks + (blocks & 1);
        QuantBytes = BlockFormats.QuantBytes(format);
        var quantBytes = (nuint)((long)rows * Blocks * QuantBytes);
        Quants = (byte*)NativeMemory.AlignedAlloc(quantBytes, 64);
        Scales = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)rows * Blocks * 2), 64);
        NativeMemory.Clear(Quants, quantBytes);
        NativeMemory.Clear(Scales, (nuint)((long)rows * Blocks * 2));
    }

    /// <summary>Bytes the weight occupies (quants + scales).</summary>
    public long StorageBytes => (long)Rows * Blocks * (QuantBytes + 2);

    internal byte* RowQuants(int row) => Quants + (long)row * Blocks * QuantBytes;
    internal ushort* RowScales(int row) => Scales + (long)row * Blocks;

    /// <summary>Quantises rows [start, start + count) from `src` (count × cols fp32, row-major), rows in parallel.</summary>
    public void SetRows(int start, int count, float* src)
    {
        if (start < 0 || count < 0 || start + count > Rows) throw new ArgumentOutOfRangeException(nameof(count));
        nint sp = (nint)src;
        Parallel.For(0, count, r => SetRow(start + r, new ReadOnlySpan<float>((float*)sp + (long)r * Cols, Cols)));
    }

    void SetRow(int row, ReadOnlySpan<float> values)
    {
        var padded = new float[Blocks * BlockFormats.BlockSize];
        values.CopyTo(padded);
        var quants = RowQuants(row);
        var scales = RowScales(row);
        if (Format == BlockFormat.Nf4_0)
        {
            for (var b = 0; b < Blocks; b++) Nf4Block(padded.AsSpan(b * BlockFormats.BlockSize, BlockFormats.BlockSize), quants + b * 16, scales + b);
            return;
        }
        // ggml's block = fp16 scale then the quants; the kernels keep the two apart.
        var type = Format == BlockFormat.Q4_0 ? GgufType.Q4_0 : GgufType.Q8_0;
        var encoded = GgufQuant.Encode(type, padded);
        var stride = 2 + QuantBytes;
        for (var b = 0; b < Blocks; b++)
        {
            var block = encoded.AsSpan(b * stride, stride);
            scales[b] = BinaryPrimitives.ReadUInt16LittleEndian(block);
            block[2..].CopyTo(new Span<byte>(quants + b * QuantBytes, QuantBytes));
        }
    }

    static readonly float[] Nf4Values = [.. BlockFormats.Table(BlockFormat.Nf4_0).Select(u => (float)(u - BlockFormats.Nf4Offset))];
    static readonly float[] Nf4Mids = [.. Enumerable.Range(0, 15).Select(c => (Nf4Values[c] + Nf4Values[c + 1]) / 2)];

    /// <summary>d = absmax/63 (kept in fp16); each value the nearest of the 16 integer levels times that stored d.
    /// Packed as Q4_0 is: byte j holds value j (low nibble) and value j+16 (high).</summary>
    static void Nf4Block(ReadOnlySpan<float> x, byte* quants, ushort* scale)
    {
        var amax = 0f;
        foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
        var bits = Fp16.Bits(amax / 63);
        *scale = bits;
        var d = Fp16.One(bits);
        var id = d > 0 ? 1 / d : 0;
        Span<int> codes = stackalloc int[BlockFormats.BlockSize];
        for (var j = 0; j < codes.Length; j++)
        {
            var t = x[j] * id;
            var c = 0;
            while (c < 15 && t > Nf4Mids[c]) c++;
            codes[j] = c;
        }
        for (var j = 0; j < 16; j++) quants[j] = (byte)(codes[j] | (codes[j + 16] << 4));
    }

    /// <summary>Row `row`'s cols values as the kernels see them (scale · integer level).</summary>
    public void DequantizeRow(int row, float* dst)
    {
        var quants = RowQuants(row);
        var scales = RowScales(row);
        var table = BlockFormats.IsFourBit(Format) ? BlockFormats.Table(Format) : null;
        var offset = BlockFormats.Offset(Format);
        for (var j = 0; j < Cols; j++)
        {
            int b = j / BlockFormats.BlockSize, k = j % BlockFormats.BlockSize;
            var d = Fp16.One(scales[b]);
            int q;
            if (table is null) q = (sbyte)quants[b * 32 + k];
            else
            {
                var packed = quants[b * 16 + (k & 15)];
                q = table[k < 16 ? packed & 15 : packed >> 4] - offset;
            }
            dst[j] = q * d;
        }
    }

    public void Dispose()
    {
        if (Quants is not null) NativeMemory.AlignedFree(Quants);
        if (Scales is not null) NativeMemory.AlignedFree(Scales);
        Quants = null; Scales = null;
        GC.SuppressFinalize(this);
    }

    ~BlockMatrix() => Dispose();
}
