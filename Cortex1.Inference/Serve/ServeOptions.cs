using System.Globalization;
using Cortex1.Data.Storage;
using Cortex1.Inference.Adapters;
using Cortex1.Inference.Engine;
using Cortex1.ServiceDefaults.CommandLine;

namespace Cortex1.Inference.Serve;

/// <summary>
/// The command line of <c>serve</c>, the server alone (no PostgreSQL, no blob storage), checked before anything starts:
/// a bad value is an <see cref="ArgumentException"/> that names it and says what would do.
/// </summary>
/// <param name="Model">A local Hugging Face folder (full path), or an embedded model's name.</param>
/// <param name="ModelId">The id clients send as <c>model</c>: <c>--served-model-name</c>, else the name given, else the folder's name.</param>
/// <param name="Adapters">Adapter id → local PEFT folder (full path).</param>
public sealed record ServeOptions(
    string Model, string ModelId, IReadOnlyDictionary<string, string> Adapters, string Host, int Port, string? ReportsFolder,
    string? Quantization = null, string? DType = null, string? Device = null)
{
    public const int DefaultPort = 8000;

    public const string Usage = """
        Usage: Cortex1.Inference serve --model MODEL [options]

        Runs the OpenAI-compatible API and the web page alone: no PostgreSQL, no blob storage.

        Options:
          --model MODEL               A local Hugging Face folder (config.json, *.safetensors, tokenizer.json), or an
                                      embedded model: cortex1-baby (the pretrained baby model) or tiny (random weights).
          --served-model-name ID      The model id clients send (default: the name given, or the folder's name).
          --adapter NAME=PATH         A local PEFT adapter folder served as model NAME (repeatable).
          --reports FOLDER            Training and evaluation reports for the web page, laid out as blob storage's
                                      reports container (training/{name}/*.png, eval/{id}/report.md + *.png).
          --host HOST                 Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).
          --port PORT                 Port to listen on (default 8000).
          --quantization none|nf4     Weights in 4-bit NormalFloat (nf4) or as stored (none, the default).
          --dtype DTYPE               float32, bfloat16 or float16 (default: the device's).
          --device DEVICE             cpu, cuda or cuda:N (default: CUDA when there is one).

        Set Inference__ApiKey in the environment to require 'Authorization: Bearer KEY' on /v1.
        """;

    private static readonly string[] Known = ["model", "served-model-name", "adapter", "reports", "host", "port", "quantization", "dtype", "device"];

    public static ServeOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var adapterSpecs = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"Expected an option (--model …), got '{arg}'.");
            var eq = arg.IndexOf('=');
            var (name, value) = eq > 0 ? (arg[2..eq], arg[(eq + 1)..]) : (arg[2..], i + 1 < args.Count ? args[++i] : null);
            if (!Known.Contains(name)) throw new ArgumentException($"Unknown option --{name}. Known: {string.Join(", ", Known.Select(k => "--" + k))}.");
            if (value is null) throw new ArgumentException($"--{name} needs a value.");
            if (name == "adapter") adapterSpecs.Add(value);
            else if (!values.TryAdd(name, value)) throw new ArgumentException($"--{name} is given twice.");
        }

        var model = values.GetValueOrDefault("model") ?? throw new ArgumentException(
            $"--model is required: a Hugging Face folder, or an embedded model ({string.Join(", ", BaseModelReference.EmbeddedNames)}).");
        string folderOrName, defaultId;
        if (BaseModelReference.EmbeddedNames.Contains(model))
            (folderOrName, defaultId) = (model, model);
        else
        {
            var folder = UserPaths.Resolve(model);
            if (!BaseModelReference.IsModelFolder(folder))
                throw new ArgumentException(Directory.Exists(folder)
                    ? $"--model '{model}' is not a Hugging Face model folder: no {BaseModelReference.ConfigFile} in {folder}."
                    : $"--model '{model}': no such folder ({folder}), and not an embedded model ({string.Join(", ", BaseModelReference.EmbeddedNames)}).");
            folder = Path.TrimEndingDirectorySeparator(folder);
            (folderOrName, defaultId) = (folder, Path.GetFileName(folder));
        }
        var id = values.GetValueOrDefault("served-model-name") ?? defaultId;
        ValidateId("--served-model-name", id);

        var adapters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var spec in adapterSpecs)
        {
            var eq = spec.IndexOf('=');
            if (eq <= 0 || eq == spec.Length - 1)
                throw new ArgumentException($"--adapter '{spec}' is not NAME=PATH (e.g. --adapter analyst=./out/adapter).");
            var (name, path) = (spec[..eq], UserPaths.Resolve(spec[(eq + 1)..]));
            ValidateId($"--adapter '{spec}': the name", name);
            if (name == id) throw new ArgumentException($"--adapter '{spec}': the name is the base model's id; choose another.");
            if (!File.Exists(Path.Combine(path, AdapterManager.ConfigFile)))
                throw new ArgumentException(Directory.Exists(path)
                    ? $"--adapter '{spec}': {path} is not a PEFT adapter folder (no {AdapterManager.ConfigFile})."
                    : $"--adapter '{spec}': no such folder ({path}).");
            if (!adapters.TryAdd(name, Path.TrimEndingDirectorySeparator(path)))
                throw new ArgumentException($"--adapter: the name '{name}' is given twice.");
        }

        string? reports = null;
        if (values.TryGetValue("reports", out var r))
        {
            reports = UserPaths.Resolve(r);
            if (!Directory.Exists(reports)) throw new ArgumentException($"--reports '{r}': no such folder ({reports}).");
        }

        var port = DefaultPort;
        if (values.TryGetValue("port", out var p) && !(int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 0 and <= 65535))
            throw new ArgumentException($"--port '{p}' is not a port number (0 to 65535; 0 picks a free one).");
        var host = values.GetValueOrDefault("host", "127.0.0.1");
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#'))
            throw new ArgumentException($"--host '{host}' is not a host name or address.");

        var options = new ServeOptions(folderOrName, id, adapters, host, port, reports,
            values.GetValueOrDefault("quantization"), values.GetValueOrDefault("dtype"), values.GetValueOrDefault("device"));
        var engine = new InferenceOptions { DType = options.DType, Device = options.Device };
        if (options.Quantization is not null) engine.Quantization = options.Quantization;
        try
        {
            LoadOptionsParser.Parse(engine);   // a bad --quantization, --dtype or --device, named now rather than after start
        }
        catch (InvalidOperationException e)
        {
            var message = e.Message;
            foreach (var (setting, option) in new[] { ("Quantization", "quantization"), ("DType", "dtype"), ("Device", "device") })
                message = message.Replace($"{InferenceOptions.Section}:{setting}", $"--{option}", StringComparison.Ordinal);
            throw new ArgumentException(message, e);
        }
        return options;
    }

    /// <summary>Where it listens: <c>http://HOST:PORT</c> (an IPv6 address in brackets).</summary>
    public string Url => $"http://{(Host.Contains(':') && !Host.StartsWith('[') ? $"[{Host}]" : Host)}:{Port}";

    /// <summary>The settings of the service these options stand for (configuration keys as in <see cref="InferenceOptions"/>).</summary>
    public Dictionary<string, string?> Settings()
    {
        var s = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [$"{InferenceOptions.Section}:{nameof(InferenceOptions.ModelName)}"] = ModelId,
        };
        if (BaseModelReference.EmbeddedNames.Contains(Model)) s[$"{InferenceOptions.Section}:{nameof(InferenceOptions.Embedded)}"] = Model;
        else s[$"{InferenceOptions.Section}:{nameof(InferenceOptions.Model)}"] = Model;
        foreach (var (name, folder) in Adapters) s[$"{InferenceOptions.Section}:{nameof(InferenceOptions.Adapters)}:{name}"] = folder;
        if (ReportsFolder is not null) s[$"{InferenceOptions.Section}:{nameof(InferenceOptions.ReportsFolder)}"] = ReportsFolder;
        if (Quantization is not null) s[$"{InferenceOptions.Section}:{nameof(InferenceOptions.Quantization)}"] = Quantization;
        if (DType is not null) s[$"{InferenceOptions.Section}:{nameof(InferenceOptions.DType)}"] = DType;
        if (Device is not null) s[$"{InferenceOptions.Section}:{nameof(InferenceOptions.Device)}"] = Device;
        return s;
    }

    /// <summary>A model id is what clients send and what the adapter catalogue keys on: a blob-safe name, no ':' or spaces.</summary>
    private static void ValidateId(string what, string id)
    {
        try
        {
            BlobNames.Validate(id);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{what} '{id}' is not a valid model id: {e.Message}");
        }
        if (id.Any(c => char.IsWhiteSpace(c) || c == ':'))
            throw new ArgumentException($"{what} '{id}' is not a valid model id: no spaces or ':'.");
    }
}
