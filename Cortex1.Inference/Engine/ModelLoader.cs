using Azure;
using Cortex1.Data.Storage;
using Cortex1.Inference.Scheduling;
using Cortex1.Model;
using Cortex1.Model.Baby;
using Cortex1.Model.Bench;
using Cortex1.Model.Tiny;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Engine;

/// <summary>
/// Loads the configured model in the background at start (the server answers health probes and
/// 503s meanwhile), logs how long it took and how much memory it holds, then starts the scheduler.
/// Where the weights come from, in order: a local folder, a blob prefix in <c>models</c>, a named
/// random-weight shape, else the embedded model (the baby model, or the random tiny one), written into the cache folder.
/// </summary>
public sealed partial class ModelLoader(
    IOptions<InferenceOptions> options, ModelHost host, BatchScheduler scheduler,
    ILogger<ModelLoader> logger, BlobMirror? mirror = null) : BackgroundService
{
    private readonly InferenceOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // Let the host finish starting; loading takes a while.
        try
        {
            var folder = await LocateAsync(stoppingToken);
            var load = LoadOptionsParser.Parse(_options);
            host.Report($"loading {folder}");
            LogLoading(logger, folder, _options.Quantization, _options.DType ?? "default", _options.Device ?? "auto");
            var progress = new Progress<string>(message => { host.Report($"loading: {message}"); LogProgress(logger, message); });
            var model = await Task.Run(() => LanguageModel.Load(folder, load, progress), stoppingToken);
            // The embedded baby model's folder name carries a build hash; clients see its stable name.
            var servesBaby = string.IsNullOrWhiteSpace(_options.Model) && string.IsNullOrWhiteSpace(_options.ModelBlob)
                && string.IsNullOrWhiteSpace(_options.RandomShape) && _options.Embedded == BabyModel.Name;
            var name = !string.IsNullOrWhiteSpace(_options.ModelName) ? _options.ModelName : servesBaby ? BabyModel.Name : model.Name;
            LogLoaded(logger, name, model.LoadTime.TotalSeconds, model.LoadPeakBytes / (1024.0 * 1024), Environment.WorkingSet / (1024.0 * 1024),
                model.ContextLength, model.DType.ToString(), model.Device.type.ToString());
            host.Loaded(model, name);
            scheduler.Start(model);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            host.Failed(e.Message);
            LogFailed(logger, e);
        }
    }

    private async Task<string> LocateAsync(CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(_options.Model))
            return BaseModelReference.IsModelFolder(_options.Model)
                ? _options.Model
                : throw new DirectoryNotFoundException($"Inference:Model '{_options.Model}' is not a Hugging Face model folder (no {BaseModelReference.ConfigFile}).");

        if (!string.IsNullOrWhiteSpace(_options.ModelBlob))
            return mirror is null
                ? throw new InvalidOperationException($"Inference:ModelBlob '{_options.ModelBlob}' needs blob storage, and this server runs without it.")
                : await DownloadAsync(mirror, BaseModelReference.Blob(_options.ModelBlob), ct);

        if (!string.IsNullOrWhiteSpace(_options.RandomShape))
        {
            // The engine bench's named shapes (e.g. qwen2-0.5b): real sizes, random weights, for measuring speed.
            if (!ModelBench.Shapes.TryGetValue(_options.RandomShape, out var shape))
                throw new InvalidOperationException($"Inference:RandomShape '{_options.RandomShape}' is not one of: {string.Join(", ", ModelBench.Shapes.Keys)}.");
            var folder = Path.Combine(_options.CacheFolder, "random", _options.RandomShape);
            host.Report($"creating a random-weight {_options.RandomShape} model");
            if (!BaseModelReference.IsModelFolder(folder))
                await Task.Run(() => TinyModel.Create(folder, shape.Family, options: shape.Options), ct);
            return folder;
        }

        if (_options.Embedded == BabyModel.Name)
        {
            host.Report($"opening the embedded {BabyModel.Name} model");
            return await Task.Run(() => EmbeddedBaby.Folder(_options.CacheFolder), ct);
        }
        if (_options.Embedded != "tiny")
            throw new InvalidOperationException($"Inference:Embedded '{_options.Embedded}' is neither {BabyModel.Name} nor tiny.");
        host.Report("opening the embedded tiny model");
        return await Task.Run(() => TinyModel.Embedded(_options.CacheFolder, _options.TinyFamily), ct);
    }

    /// <summary>Mirrors the blob prefix, retrying while storage is still coming up (a missing prefix is final).</summary>
    private async Task<string> DownloadAsync(BlobMirror mirror, BaseModelReference model, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                host.Report($"downloading {model}");
                return await model.LocalFolderAsync(mirror, _options.CacheFolder, ct);
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException && attempt < 30)
            {
                host.Report($"waiting for blob storage: {e.Message}");
                LogStorageRetry(logger, e, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)), ct);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model from {Folder} (quantization {Quantization}, dtype {DType}, device {Device})")]
    private static partial void LogLoading(ILogger logger, string folder, string quantization, string dType, string device);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model load: {Message}")]
    private static partial void LogProgress(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Name} loaded in {Seconds:F1} s; peak memory {PeakMiB:F0} MiB, now {NowMiB:F0} MiB; context {ContextLength} tokens; {DType} on {Device}")]
    private static partial void LogLoaded(ILogger logger, string name, double seconds, double peakMiB, double nowMiB, int contextLength, string dType, string device);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model load failed; the service stays unhealthy")]
    private static partial void LogFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob storage not ready for the model download (attempt {Attempt}); retrying")]
    private static partial void LogStorageRetry(ILogger logger, Exception e, int attempt);
}
