using System.Text.Json;
using System.Text.Json.Nodes;
using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using static TorchSharp.torch;

namespace Cortex1.Model.Export;

/// <summary>
/// Writes a checkpoint (its adapter merged) as a Hugging Face folder in fp32 or bf16: each source shard becomes one
/// output shard of the same name (so memory holds one shard at a time, and the index keeps its map), config.json's
/// torch_dtype updated, and every other file (tokenizer, generation config, the hub origin) copied as it is.
/// </summary>
public static class HfExport
{
    public static ScalarType ParseDType(string s) => s.ToLowerInvariant() switch
    {
        "f32" or "fp32" or "float32" => ScalarType.Float32,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        _ => throw new ArgumentException($"The hf format takes --type f32 or bf16, not '{s}'."),
    };

    /// <summary>
    /// Writes the folder's files into <c>{folder}.partial</c> first and moves them into <paramref name="folder"/> once
    /// all are written (config.json last: a folder with a config is complete to its readers), so a cancelled or failed
    /// export leaves no truncated shard there; the staging folder is deleted either way. <paramref name="shardWritten"/>
    /// hears (shards written, shard count) and may throw to stop; <paramref name="ct"/> is checked before each tensor.
    /// </summary>
    public static void Write(HfCheckpoint ck, string folder, ScalarType dtype, Action<int, int>? shardWritten = null, CancellationToken ct = default)
    {
        var staging = Path.TrimEndingDirectorySeparator(folder) + ".partial";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        try
        {
            WriteTo(ck, staging, dtype, shardWritten, ct);
            Directory.CreateDirectory(folder);
            var files = Directory.GetFiles(staging).OrderBy(f => Path.GetFileName(f) == "config.json").ToList();
            foreach (var f in files) File.Move(f, Path.Combine(folder, Path.GetFileName(f)), overwrite: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    static void WriteTo(HfCheckpoint ck, string folder, ScalarType dtype, Action<int, int>? shardWritten, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        long total = 0;
        var shards = 0;
        foreach (var file in ck.Files)
        {
            using var source = new SafeTensorsFile(file);
            var tensors = new List<(string, Tensor)>();
            try
            {
                foreach (var name in source.Tensors.Keys)
                {
                    ct.ThrowIfCancellationRequested();
                    using var t = ck.Read(name);
                    tensors.Add((name, t.to(dtype)));
                    total += tensors[^1].Item2.NumberOfElements * tensors[^1].Item2.ElementSize;
                }
                SafeTensors.Write(Path.Combine(folder, Path.GetFileName(file)), tensors, new Dictionary<string, string> { ["format"] = "pt" });
            }
            finally
            {
                foreach (var (_, t) in tensors) t.Dispose();
            }
            shardWritten?.Invoke(++shards, ck.Files.Count);
        }
        var index = Path.Combine(ck.Folder, SafeTensors.IndexFile);
        if (File.Exists(index))
        {
            var json = JsonNode.Parse(File.ReadAllText(index))!.AsObject();
            json["metadata"] = new JsonObject { ["total_size"] = total };
            File.WriteAllText(Path.Combine(folder, SafeTensors.IndexFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(ck.Folder, "config.json")))!.AsObject();
        config["torch_dtype"] = dtype == ScalarType.BFloat16 ? "bfloat16" : "float32";
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var f in Directory.GetFiles(ck.Folder))
        {
            var n = Path.GetFileName(f);
            if (n == "config.json" || n == SafeTensors.IndexFile || n.EndsWith(".safetensors", StringComparison.Ordinal)) continue;
            File.Copy(f, Path.Combine(folder, n), overwrite: true);
        }
        // A merged copy is still the same base model for anyone resolving it by hub id.
        if (ModelOrigin.HubId(ck.Folder) is { } hub && !File.Exists(Path.Combine(folder, ModelOrigin.FileName)))
            new ModelOrigin(hub, "main", null).Write(folder);
    }
}
