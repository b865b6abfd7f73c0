using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model.Loading;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafeTensorInfo(string Name, ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reads a .safetensors file (8-byte little-endian header length, JSON header, raw little-endian data) through a
/// memory map, so a tensor's bytes are paged in only when it is read and the file never sits in memory whole.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    readonly byte* _base;
    readonly long _dataStart;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public SafeTensorsFile(string path)
    {
        Path = path;
        var length = new FileInfo(path).Length;
        if (length < 8) throw new InvalidDataException($"'{path}' is too short to be a safetensors file.");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
        var headerLen = BitConverter.ToInt64(new ReadOnlySpan<byte>(_base, 8));
        if (headerLen <= 0 || 8 + headerLen > length) throw new InvalidDataException($"'{path}' has a bad safetensors header length {headerLen}.");
        _dataStart = 8 + headerLen;
        var header = JsonNode.Parse(Encoding.UTF8.GetString(new ReadOnlySpan<byte>(_base + 8, (int)headerLen)))!.AsObject();
        var tensors = new Dictionary<string, SafeTensorInfo>();
        var meta = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) meta[k] = v!.GetValue<string>();
                continue;
            }
            var o = node!.AsObject();
            var offsets = o["data_offsets"]!.AsArray();
            var info = new SafeTensorInfo(name, ParseDType(o["dtype"]!.GetValue<string>(), name),
                o["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray(), offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>());
            if (_dataStart + info.End > length) throw new InvalidDataException($"Tensor '{name}' runs past the end of '{path}'.");
            tensors[name] = info;
        }
        Tensors = tensors;
        Metadata = meta;
    }

    /// <summary>Copies one tensor out of the map into a new CPU tensor of its stored dtype.</summary>
    public Tensor Read(string name)
    {
        if (!Tensors.TryGetValue(name, out var info)) throw new KeyNotFoundException($"Tensor '{name}' is not in '{Path}'.");
        var t = empty(info.Shape, info.DType);
        var src = new ReadOnlySpan<byte>(_base + _dataStart + info.Begin, checked((int)(info.End - info.Begin)));
        src.CopyTo(t.bytes);
        return t;
    }

    bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    internal static ScalarType ParseDType(string s, string name) => s switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new NotSupportedException($"Tensor '{name}' has unsupported safetensors dtype '{s}'."),
    };

    internal static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"dtype {t} cannot be written to safetensors."),
    };
}

/// <summary>Writes safetensors files, single or sharded with model.safetensors.index.json (HF's layout).</summary>
public static class SafeTensors
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Writes tensors (CPU, any layout) to one file; names are kept in the given order.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            var n = t.NumberOfElements * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = SafeTensorsFile.DTypeName(t.dtype),
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + n),
            };
            offset += n;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // The spec lets the header be padded with spaces; 8-byte alignment keeps the data aligned for readers that map it.
        var padded = (json.Length + 7) / 8 * 8;
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        fs.Write(BitConverter.GetBytes((long)padded));
        fs.Write(json);
        for (var i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
        foreach (var (_, t) in tensors)
        {
            using var c = t.cpu().contiguous();
            fs.Write(c.bytes);
        }
    }

    /// <summary>Writes a model's tensors to `folder`: one model.safetensors when they fit in `maxShardBytes`,
    /// otherwise model-0000N-of-0000M.safetensors shards plus model.safetensors.index.json.</summary>
    public static void WriteModel(string folder, IReadOnlyList<(string Name, Tensor Tensor)> tensors, long maxShardBytes = long.MaxValue)
    {
        Directory.CreateDirectory(folder);
        var shards = new List<List<(string, Tensor)>> { new() };
        long size = 0, total = 0;
        foreach (var (name, t) in tensors)
        {
            var n = t.NumberOfElements * t.ElementSize;
            if (size > 0 && size + n > maxShardBytes) { shards.Add([]); size = 0; }
            shards[^1].Add((name, t));
            size += n;
            total += n;
        }
        if (shards.Count == 1)
        {
            Write(Path.Combine(folder, SingleFile), shards[0], new Dictionary<string, string> { ["format"] = "pt" });
            return;
        }
        var map = new JsonObject();
        for (var i = 0; i < shards.Count; i++)
        {
            var file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            Write(Path.Combine(folder, file), shards[i], new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var (name, _) in shards[i]) map[name] = file;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = map };
        File.WriteAllText(Path.Combine(folder, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The weight files of a model folder in load order: the index's shards, or the single file.</summary>
    public static IReadOnlyList<string> ModelFiles(string folder)
    {
        var index = Path.Combine(folder, IndexFile);
        if (File.Exists(index))
        {
            var map = JsonNode.Parse(File.ReadAllText(index))!["weight_map"]?.AsObject()
                      ?? throw new InvalidDataException($"'{index}' has no weight_map.");
            var files = map.Select(kv => kv.Value!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal).Select(f => Path.Combine(folder, f)).ToList();
            foreach (var f in files) if (!File.Exists(f)) throw new FileNotFoundException($"Shard '{f}' named in the index is missing.", f);
            return files;
        }
        var single = Path.Combine(folder, SingleFile);
        if (File.Exists(single)) return [single];
        throw new FileNotFoundException($"No {SingleFile} or {IndexFile} in model folder '{folder}'.");
    }
}
