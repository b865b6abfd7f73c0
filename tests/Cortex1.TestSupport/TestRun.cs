using System.Diagnostics;

namespace Cortex1.TestSupport;

/// <summary>
/// The one folder a test process keeps its servers' data and throwaway files in:
/// <c>$TMPDIR/cortex1-test-PID</c>. A <see cref="Watchdog"/> removes it when the process is gone, however
/// it went; should even that watchdog have been killed, the next test process sweeps the folders
/// (and stray servers) of runs whose owner and watchdog are both gone.
/// </summary>
public static class TestRun
{
    public const string Prefix = "cortex1-test-";

    private static readonly Lazy<string> RootFolder = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Root => RootFolder.Value;

    /// <summary>A folder under <see cref="Root"/> (created); gone with the run.</summary>
    public static string Folder(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string Create()
    {
        var temp = Path.GetTempPath();
        SweepDeadRuns(temp);
        var root = Path.Combine(temp, $"{Prefix}{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        // The postgres user (when we are root) must be able to traverse into the cluster folder.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        Watchdog.Start(root, "TERM");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Watchdog.Stop(root, TimeSpan.FromSeconds(5));
        return root;
    }

    /// <summary>Removes run folders whose test process and watchdog are gone, stopping any server still running from one.</summary>
    public static void SweepDeadRuns(string temp)
    {
        foreach (var dir in Directory.EnumerateDirectories(temp, Prefix + "*"))
        {
            // Only this layout's folders (cortex1-test-PID): others may belong to live runs of other code.
            if (!int.TryParse(Path.GetFileName(dir)[Prefix.Length..], out var owner)) continue;
            if (owner == Environment.ProcessId || Watchdog.IsAlive(owner)) continue;
            if (Watchdog.ReadPid(Path.Combine(dir, Watchdog.PidFile)) is { } w && Watchdog.IsAlive(w)) continue;
            foreach (var serverPid in Directory.EnumerateFiles(dir, Watchdog.ServerPidFile, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }))
                KillIfRunningFrom(Watchdog.ReadPid(serverPid), Path.GetDirectoryName(serverPid)!);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Kills <paramref name="pid"/> only if it runs in <paramref name="dir"/> (the watchdog starts servers there), so a reused pid is never hit.</summary>
    private static void KillIfRunningFrom(int? pid, string dir)
    {
        if (pid is not { } p || !Watchdog.IsAlive(p)) return;
        try
        {
            if (new DirectoryInfo($"/proc/{p}/cwd").LinkTarget is not { } cwd || !cwd.StartsWith(dir, StringComparison.Ordinal)) return;
            using var process = Process.GetProcessById(p);
            process.Kill();
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }
}
