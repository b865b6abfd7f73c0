namespace Cortex1.ServiceDefaults.CommandLine;

/// <summary>Paths the user typed on a command line.</summary>
public static class UserPaths
{
    /// <summary>
    /// A file or folder path as the user typed it. <c>dotnet run --project …</c> starts the program in the project's
    /// folder, so a relative path is first read against the shell's directory (<c>$PWD</c>, where the command was
    /// typed), then against the current one.
    /// </summary>
    public static string Resolve(string path)
    {
        if (Path.IsPathRooted(path)) return path;
        if (Environment.GetEnvironmentVariable("PWD") is { Length: > 0 } shell && Path.IsPathRooted(shell))
        {
            var typed = Path.GetFullPath(path, shell);
            if (File.Exists(typed) || Directory.Exists(typed)) return typed;
        }
        return Path.GetFullPath(path);
    }
}
