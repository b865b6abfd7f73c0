using System.Runtime.CompilerServices;

namespace Cortex1.Inference.Reports;

/// <summary>
/// Reports in a local folder laid out like the <c>reports</c> container (<c>serve --reports FOLDER</c>). Only regular files
/// inside the folder are read, none reached through a symbolic link, so a request cannot read anything else on the disk.
/// </summary>
public sealed class FolderReports(string root) : ReportStore
{
    private readonly string _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

    /// <summary>Deep enough for <c>training/{name}/</c> with a '/' in the name; symbolic links are not followed.</summary>
    private static readonly EnumerationOptions Walk = new() { RecurseSubdirectories = true, MaxRecursionDepth = 6, AttributesToSkip = FileAttributes.ReparsePoint };

    protected override async IAsyncEnumerable<(string Path, long Size, DateTimeOffset? Modified)> ListAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        if (!Directory.Exists(_root)) yield break;
        foreach (var file in new DirectoryInfo(_root).EnumerateFiles("*", Walk))
        {
            ct.ThrowIfCancellationRequested();
            yield return (Path.GetRelativePath(_root, file.FullName).Replace('\\', '/'), file.Length, new DateTimeOffset(file.LastWriteTimeUtc));
        }
    }

    protected override async Task<BinaryData?> ReadAsync(string path, CancellationToken ct)
    {
        var full = Path.GetFullPath(path, _root);
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return null;
        var file = new FileInfo(full);
        if (!file.Exists || file.LinkTarget is not null) return null;
        for (var dir = file.Directory!; dir.FullName != _root; dir = dir.Parent!)
            if (dir.LinkTarget is not null) return null;
        return new BinaryData(await File.ReadAllBytesAsync(full, ct));
    }
}
