namespace Cortex1.Model.Export;

/// <summary>What to export: gguf (one .gguf file + Modelfile in the output folder) or hf (a Hugging Face folder).</summary>
public sealed record ExportRequest(string ModelFolder, string? AdapterFolder, string Format, string Type, string Output, string? Name = null);

/// <summary>The export entry point: opens the checkpoint (adapter merged) and writes the requested format.</summary>
public static class ModelExport
{
    /// <summary>
    /// Returns the paths written. A cancelled or failed export leaves no partial .gguf or shard where the finished
    /// one would be (each is written under a temporary name and renamed when complete). <paramref name="written"/>
    /// hears (tensors or shards done, their count) and may throw to stop the export.
    /// </summary>
    public static IReadOnlyList<string> Run(ExportRequest r, IProgress<string>? progress = null, CancellationToken ct = default,
        Action<int, int>? written = null)
    {
        using var ck = new HfCheckpoint(r.ModelFolder, r.AdapterFolder);
        var name = r.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(r.ModelFolder)));
        switch (r.Format.ToLowerInvariant())
        {
            case "gguf":
            {
                var type = GgufExport.ParseType(r.Type);
                // A path ending in .gguf is the file; anything else is the folder that gets {name}-{type}.gguf and a Modelfile.
                var file = r.Output.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? Path.GetFullPath(r.Output)
                    : Path.Combine(Path.GetFullPath(r.Output), $"{name}-{r.Type.ToLowerInvariant()}.gguf");
                var folder = Path.GetDirectoryName(file)!;
                Directory.CreateDirectory(folder);
                progress?.Report($"Writing {file} ({ck.Config.ModelType}, {type}{(r.AdapterFolder is null ? "" : ", adapter merged")})");
                var vocab = GgufExport.Write(ck, file, type, name, written, ct);
                var modelfile = Path.Combine(folder, "Modelfile");
                var eos = GgufExport.SpecialIds(ck, vocab).Eos;
                var stops = ck.Config.EosTokenIds.Append(eos ?? -1).Where(i => i >= 0 && i < vocab.Tokens.Count && vocab.Types[i] == GgufVocab.Control).Select(i => vocab.Tokens[i]);
                File.WriteAllText(modelfile, OllamaModelfile.For(ck.Config.ModelType, Path.GetFileName(file), GgufExport.ChatTemplate(ck.TokenizerConfig), stops));
                return [file, modelfile];
            }
            case "hf":
                progress?.Report($"Writing {r.Output} ({ck.Config.ModelType}, {r.Type}{(r.AdapterFolder is null ? "" : ", adapter merged")})");
                HfExport.Write(ck, Path.GetFullPath(r.Output), HfExport.ParseDType(r.Type), written, ct);
                return [Path.GetFullPath(r.Output)];
            default:
                throw new ArgumentException($"Unknown export format '{r.Format}'; use gguf or hf.");
        }
    }
}
