using System.CommandLine;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Storage;
using Cortex1.Model.Export;
using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Trainer.Hub;

namespace Cortex1.Trainer.Export;

/// <summary>
/// <c>dotnet run --project Cortex1.Trainer -- export --base-model tiny|folder|models/{prefix} [--adapter NAME|folder]
/// --format gguf|hf --type f32|f16|q8_0|q4_0|bf16 --output PATH</c>: a base model, with an adapter merged, as a GGUF
/// (plus an Ollama Modelfile) or a Hugging Face folder. See docs/export.md.
/// </summary>
public static class ExportCli
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        var baseModel = new Option<string>("--base-model") { Description = $"{BaseModelReference.Forms}.", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "A PEFT adapter to merge: a local folder, or a published adapter's name (adapters/{name}/ in blob storage)." };
        var format = new Option<string>("--format") { Description = "gguf (llama.cpp, Ollama, LM Studio) or hf (safetensors folder: vLLM, transformers).", DefaultValueFactory = _ => "gguf" };
        var type = new Option<string?>("--type") { Description = "gguf: f32, f16 (default), q8_0 or q4_0; hf: f32 or bf16 (default)." };
        var path = new Option<string>("--output") { Description = "gguf: a .gguf file or a folder (gets {name}-{type}.gguf and a Modelfile); hf: the folder.", Required = true };
        var name = new Option<string?>("--name") { Description = "The model's name in the GGUF metadata and file name (default: the base model folder's)." };
        var command = new Command("export", "Export a base model (with an adapter merged) to GGUF or a Hugging Face folder.") { baseModel, adapter, format, type, path, name };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var storage = new CliStorage(typeof(ExportCli));
                var model = await ExportInputs.BaseModelFolderAsync(storage.Blobs, storage.CacheFolder, parse.GetValue(baseModel)!, ct);
                var adapterFolder = parse.GetValue(adapter) is { } a ? await ExportInputs.AdapterFolderAsync(storage.Blobs, storage.CacheFolder, a, ct) : null;
                var request = new ExportRequest(model, adapterFolder, parse.GetValue(format)!, parse.GetValue(type) ?? (parse.GetValue(format) == "hf" ? "bf16" : "f16"), CliStorage.OutputPath(parse.GetValue(path)!), parse.GetValue(name));
                var progress = new Progress<string>(m => stdout.WriteLine(m));
                // The token reaches the writer: Ctrl+C stops it between tensors and removes the partial file before exit 130.
                var written = await Task.Run(() => ModelExport.Run(request, progress, ct), ct);
                foreach (var f in written) await stdout.WriteLineAsync($"wrote {f}");
                if (request.Format == "gguf")
                    await stdout.WriteLineAsync($"next: ollama create {Path.GetFileNameWithoutExtension(written[0])} -f {written[1]}   (or llama-cli -m {written[0]})");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or NotSupportedException or InvalidOperationException or KeyNotFoundException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return CommandLineHost.InvokeAsync(new RootCommand("Cortex1 export.") { command }, args, stdout, stderr);
    }
}
