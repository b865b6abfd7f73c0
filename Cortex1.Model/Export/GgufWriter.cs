using System.Text;

namespace Cortex1.Model.Export;

/// <summary>GGUF tensor types this exporter writes (values from ggml's ggml_type enum).</summary>
public enum GgufType : uint { F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8 }

/// <summary>
/// Writes a GGUF v3 file (llama.cpp's format, ggml/docs/gguf.md): magic, version, tensor and key/value counts, typed
/// key/values, tensor infos (name, dims innermost-first, type, offset), then the tensor data, each tensor aligned to
/// <see cref="Alignment"/> bytes from the start of the data section. Little-endian throughout.
/// </summary>
public sealed class GgufWriter
{
    /// <summary>general.alignment's default; we write the key anyway so readers need not assume it.</summary>
    public const int Alignment = 32;

    enum ValueType : uint { UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12 }

    readonly List<(string Key, Action<BinaryWriter> Write)> _kv = [];
    readonly List<(string Name, long[] Ne, GgufType Type, Action<Stream> Write)> _tensors = [];
    readonly HashSet<string> _keys = [];

    public GgufWriter() => Add("general.alignment", w => { w.Write((uint)ValueType.UInt32); w.Write((uint)Alignment); });

    void Add(string key, Action<BinaryWriter> write)
    {
        if (!_keys.Add(key)) throw new ArgumentException($"GGUF key '{key}' written twice.");
        _kv.Add((key, write));
    }

    public void UInt32(string key, uint v) => Add(key, w => { w.Write((uint)ValueType.UInt32); w.Write(v); });
    public void Float32(string key, float v) => Add(key, w => { w.Write((uint)ValueType.Float32); w.Write(v); });
    public void Bool(string key, bool v) => Add(key, w => { w.Write((uint)ValueType.Bool); w.Write((byte)(v ? 1 : 0)); });
    public void String(string key, string v) => Add(key, w => { w.Write((uint)ValueType.String); WriteString(w, v); });

    public void Strings(string key, IReadOnlyList<string> values) => Add(key, w =>
    {
        w.Write((uint)ValueType.Array); w.Write((uint)ValueType.String); w.Write((ulong)values.Count);
        foreach (var v in values) WriteString(w, v);
    });

    public void Int32s(string key, IReadOnlyList<int> values) => Add(key, w =>
    {
        w.Write((uint)ValueType.Array); w.Write((uint)ValueType.Int32); w.Write((ulong)values.Count);
        foreach (var v in values) w.Write(v);
    });

    /// <summary>A tensor of `ne` (GGUF order: innermost dimension first, i.e. a PyTorch shape reversed); `write` emits its
    /// <see cref="GgufQuant.ByteSize"/> bytes when the data section is written.</summary>
    public void Tensor(string name, long[] ne, GgufType type, Action<Stream> write)
    {
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"GGUF tensor '{name}' written twice.");
        _tensors.Add((name, ne, type, write));
    }

    static void WriteString(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    /// <summary>The name a file is written under until it is complete.</summary>
    public static string PartialName(string path) => path + ".partial";

    /// <summary>
    /// Writes the file under <see cref="PartialName"/> and renames it to <paramref name="path"/> once complete, so a
    /// reader of <paramref name="path"/> (llama.cpp, Ollama) never sees a truncated file: a cancelled or failed write
    /// deletes the partial file. <paramref name="tensorWritten"/> hears (tensors written, tensor count) after each
    /// tensor, and may throw to stop the write (a job that was cancelled); <paramref name="ct"/> is checked before each.
    /// </summary>
    public void Write(string path, Action<int, int>? tensorWritten = null, CancellationToken ct = default)
    {
        var partial = PartialName(path);
        try
        {
            WriteTo(partial, tensorWritten, ct);
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    void WriteTo(string path, Action<int, int>? tensorWritten, CancellationToken ct)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using (var w = new BinaryWriter(fs, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("GGUF"u8);
            w.Write(3u);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_kv.Count);
            foreach (var (key, write) in _kv) { WriteString(w, key); write(w); }
            long offset = 0;
            foreach (var (name, ne, type, _) in _tensors)
            {
                WriteString(w, name);
                w.Write((uint)ne.Length);
                foreach (var d in ne) w.Write((ulong)d);
                w.Write((uint)type);
                w.Write((ulong)offset);
                offset = Align(offset + GgufQuant.ByteSize(type, ne.Aggregate(1L, (a, b) => a * b)));
            }
            w.Flush();
        }
        Pad(fs, Align(fs.Position) - fs.Position);
        var dataStart = fs.Position;
        var done = 0;
        foreach (var (name, ne, type, write) in _tensors)
        {
            ct.ThrowIfCancellationRequested();
            var begin = fs.Position;
            write(fs);
            var expected = GgufQuant.ByteSize(type, ne.Aggregate(1L, (a, b) => a * b));
            if (fs.Position - begin != expected) throw new InvalidOperationException($"Tensor '{name}' wrote {fs.Position - begin} bytes, expected {expected}.");
            Pad(fs, Align(fs.Position - dataStart) - (fs.Position - dataStart));
            tensorWritten?.Invoke(++done, _tensors.Count);
        }
    }

    static void Pad(Stream s, long n) { for (var i = 0; i < n; i++) s.WriteByte(0); }
}
