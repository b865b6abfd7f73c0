namespace Cortex1.Inference.Adapters;

/// <summary>
/// Where an adapter may be read from on this machine: only folders inside the configured adapters
/// folder, reached without a symbolic link. A <c>lora_path</c> comes from the network (with no API key
/// set, from anyone who can reach the port), so any other path is refused the same way whether it
/// exists or not: the answer must not tell the caller what is on the server's disk.
/// </summary>
public static class AdapterPaths
{
    /// <summary>
    /// The full path of the adapter folder <paramref name="path"/> names (absolute, or relative to
    /// <paramref name="adaptersFolder"/>), or null when it is outside that folder, missing, reached
    /// through a symbolic link, holds a linked file, or has no adapter config.
    /// </summary>
    public static string? Confine(string? adaptersFolder, string path)
    {
        if (string.IsNullOrWhiteSpace(adaptersFolder) || path.Contains('\0')) return null;
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(adaptersFolder));
        string full;
        try
        {
            full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path, root));
        }
        catch (Exception e) when (e is ArgumentException or PathTooLongException or NotSupportedException)
        {
            return null;
        }
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return null;
        // Every step below the root must be a real directory: a link could point anywhere.
        for (var dir = new DirectoryInfo(full); dir.FullName != root; dir = dir.Parent!)
            if (!dir.Exists || dir.LinkTarget is not null) return null;
        if (!File.Exists(Path.Combine(full, AdapterManager.ConfigFile))) return null;
        if (Directory.EnumerateFileSystemEntries(full).Any(e => new FileInfo(e).LinkTarget is not null)) return null;
        return full;
    }
}
