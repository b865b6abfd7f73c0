using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;
using Cortex1.Model.Export;
using Cortex1.Trainer.Runs;
using Microsoft.Extensions.Options;

namespace Cortex1.Trainer.Export;

/// <summary>What an export job published: the blobs, in the order written.</summary>
public sealed record ExportResult(IReadOnlyList<string> Files, long Bytes);

/// <summary>
/// Runs an <c>export</c> job: the inputs resolved to local folders (mirrored from blob storage when named there), the
/// export written into a staging folder of the Trainer's cache with a progress report after every tensor (GGUF) or
/// shard (hf), then each file uploaded to <c>exports/{output}/</c> (config.json last for hf). Every report is also the
/// job's heartbeat: a job cancelled meanwhile (<c>POST /api/export/{id}/cancel</c>) has its next report refused,
/// which stops the writer; the partial file is deleted, and nothing is uploaded. Uploads are atomic per blob, so
/// <c>exports/</c> never holds a truncated file. The staging folder is removed however the job ends.
/// </summary>
public sealed partial class ExportHandler(BlobStore blobs, IOptions<TrainerOptions> options, ILogger<ExportHandler> logger) : IJobHandler
{
    public string Kind => ExportJobRequest.JobKind;

    public async Task<object?> RunAsync(JobContext context, CancellationToken ct)
    {
        var r = context.Job.PayloadAs<ExportJobRequest>();
        if (r.Validate() is { } problem) throw new PermanentJobException($"Invalid export: {problem}.");
        var cache = options.Value.CacheFolder;
        var staging = Path.Combine(cache, "exports", $"job-{context.Job.Id}");
        try
        {
            await context.ReportProgressAsync(0, $"resolving {r.BaseModel}{(r.Adapter is null ? "" : $" + {r.Adapter}")}", ct);
            string model, adapter;
            try
            {
                model = await ExportInputs.BaseModelFolderAsync(() => blobs, cache, r.BaseModel, ct);
                adapter = r.Adapter is { } a ? await ExportInputs.AdapterFolderAsync(() => blobs, cache, a, ct) : "";
            }
            catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException)
            {
                throw new PermanentJobException(e.Message, e);
            }
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);   // a previous attempt's leftovers
            var output = Path.Combine(staging, "out");
            var request = new ExportRequest(model, adapter.Length == 0 ? null : adapter, r.Format, r.TypeOrDefault, output, r.Name);
            var unit = r.Format == "gguf" ? "tensor" : "shard";
            // The writer's thread waits for each report: it is also how a cancelled job is noticed between tensors.
            void Written(int done, int total) =>
                context.ReportProgressAsync(0.05 + 0.85 * done / total, $"export {unit} {done}/{total}", ct).GetAwaiter().GetResult();
            var progress = new Progress<string>(m => LogLine(logger, context.Job.Id, m));
            IReadOnlyList<string> written;
            try
            {
                written = await Task.Run(() => ModelExport.Run(request, progress, ct, Written), ct);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or NotSupportedException or KeyNotFoundException)
            {
                throw new PermanentJobException(e.Message, e);
            }
            var files = written.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).OrderBy(f => Path.GetFileName(f) == "config.json").ToArray() : [p])
                .Select(f => (Local: f, Name: $"{r.OutputOrDefault}/{Path.GetFileName(f)}")).ToList();
            var uploaded = new List<string>();
            long bytes = 0;
            for (var i = 0; i < files.Count; i++)
            {
                var (local, name) = files[i];
                await context.ReportProgressAsync(0.9 + 0.09 * i / files.Count, $"uploading {BlobContainers.Exports}/{name}", ct);
                await blobs.UploadFileAsync(BlobContainers.Exports, name, local, ct);
                uploaded.Add($"{BlobContainers.Exports}/{name}");
                bytes += new FileInfo(local).Length;
            }
            return new ExportResult(uploaded, bytes);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Export job {JobId}: {Line}")]
    private static partial void LogLine(ILogger logger, long jobId, string line);
}
