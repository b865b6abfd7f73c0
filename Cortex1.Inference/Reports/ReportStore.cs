using Cortex1.Data.Storage;

namespace Cortex1.Inference.Reports;

/// <summary>One file of a report.</summary>
public sealed record ReportFile(string Name, long Size, DateTimeOffset? Modified);

/// <summary>
/// A report: the files of one folder of the <c>reports</c> container, e.g. <c>training/{name}</c> (a training run's
/// plots) or <c>eval/{id}</c> (an evaluation's <c>report.md</c> and its plots). <see cref="Kind"/> is the folder's first
/// segment; <see cref="Markdown"/> names the report's text when it has one.
/// </summary>
public sealed record Report(string Id, string Kind, DateTimeOffset? Modified, string? Markdown, IReadOnlyList<ReportFile> Files);

/// <summary>The answer of <c>GET /v1/reports</c>, newest first.</summary>
public sealed record ReportList(IReadOnlyList<Report> Data);

/// <summary>
/// Where the reports are read from: blob storage's <c>reports</c> container (the AppHost), a local folder with the same
/// layout (<c>serve --reports FOLDER</c>), or nowhere (<c>serve</c> without it: an empty list). Read-only.
/// </summary>
public abstract class ReportStore
{
    /// <summary>The report text's file name, as the evaluation writes it.</summary>
    public const string MarkdownFile = "report.md";

    /// <summary>Every file, its path relative to the reports' root ('/'-separated).</summary>
    protected abstract IAsyncEnumerable<(string Path, long Size, DateTimeOffset? Modified)> ListAsync(CancellationToken ct);

    /// <summary>A file's bytes, or null when there is no such file.</summary>
    protected abstract Task<BinaryData?> ReadAsync(string path, CancellationToken ct);

    /// <summary>The reports: files grouped by the folder they are in (files at the root belong to no report).</summary>
    public async Task<IReadOnlyList<Report>> ReportsAsync(CancellationToken ct)
    {
        var folders = new Dictionary<string, List<ReportFile>>(StringComparer.Ordinal);
        await foreach (var (path, size, modified) in ListAsync(ct))
        {
            var slash = path.LastIndexOf('/');
            if (slash <= 0) continue;
            var folder = path[..slash];
            if (!folders.TryGetValue(folder, out var files)) folders[folder] = files = [];
            files.Add(new ReportFile(path[(slash + 1)..], size, modified));
        }
        return folders
            .Select(f => new Report(f.Key, f.Key.Split('/')[0], f.Value.Max(x => x.Modified),
                f.Value.Any(x => x.Name == MarkdownFile) ? MarkdownFile : null,
                f.Value.OrderBy(x => x.Name, StringComparer.Ordinal).ToList()))
            .OrderByDescending(r => r.Modified).ThenBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>A report's file by its path (<c>eval/3/report.md</c>); null for a missing file or a name that could not be one.</summary>
    public Task<BinaryData?> FileAsync(string path, CancellationToken ct)
    {
        try
        {
            BlobNames.Validate(path);
        }
        catch (ArgumentException)
        {
            return Task.FromResult<BinaryData?>(null);
        }
        return ReadAsync(path, ct);
    }
}

/// <summary><c>serve</c> without <c>--reports</c>: there are none.</summary>
public sealed class NoReports : ReportStore
{
    protected override async IAsyncEnumerable<(string Path, long Size, DateTimeOffset? Modified)> ListAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        yield break;
    }

    protected override Task<BinaryData?> ReadAsync(string path, CancellationToken ct) => Task.FromResult<BinaryData?>(null);
}
