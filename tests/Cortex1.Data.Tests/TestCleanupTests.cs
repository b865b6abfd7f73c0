using System.Diagnostics;
using Cortex1.TestSupport;

namespace Cortex1.Data.Tests;

/// <summary>
/// The test servers' cleanup survives the test host being killed at any moment: the watchdog is
/// outside the host's process tree, stops its server and removes its folder when the owner dies,
/// and the next run sweeps what a killed watchdog left.
/// </summary>
public class TestCleanupTests
{
    [Fact]
    public void AKilledOwnerLeavesNeitherServerNorFolder()
    {
        using var owner = Start("sleep", "600");
        var dir = TestRun.Folder($"wd-{Guid.NewGuid():N}");
        Watchdog.Start(dir, "TERM", "sleep", ["600"], owner: owner.Id);
        var server = Watchdog.ReadPid(Path.Combine(dir, Watchdog.ServerPidFile))!.Value;
        var watchdog = Watchdog.ReadPid(Path.Combine(dir, Watchdog.PidFile))!.Value;
        Assert.True(Watchdog.IsAlive(server));

        // Detached: a process-tree kill or group signal aimed at the owner or at us cannot reach it.
        Assert.NotEqual(Environment.ProcessId, ParentOf(watchdog));
        Assert.NotEqual(SessionOf(Environment.ProcessId), SessionOf(watchdog));

        owner.Kill(); // SIGKILL: no exit handler runs, as when the test runner kills the test host.
        owner.WaitForExit();
        Assert.True(WaitFor(() => !Watchdog.IsAlive(server) && !Directory.Exists(dir), TimeSpan.FromSeconds(20)),
            $"server alive: {Watchdog.IsAlive(server)}, folder left: {Directory.Exists(dir)}");
    }

    [Fact]
    public async Task DisposeSignalsTheServerWithItsStopSignalAndRemovesItsFolder()
    {
        var dir = TestRun.Folder($"wd-{Guid.NewGuid():N}");
        var marker = Path.Combine(TestRun.Folder("markers"), Guid.NewGuid().ToString("N"));
        // USR1, not INT: a shell started from a background job (as CI starts the suite) inherits SIGINT ignored and could
        // not trap it; USR1 still shows that the server's own stop signal, not the KILL fallback, is what reaches it.
        var server = new ServerProcess("bash", ["-c", $"trap 'echo stopped > {marker}; exit 0' USR1; echo ready; while :; do sleep 0.05; done"], dir, stopSignal: "USR1");
        await server.WaitUntilAsync(() => Task.FromResult(server.Output.Contains("ready")), TimeSpan.FromSeconds(10), "bash");
        var pid = Watchdog.ReadPid(Path.Combine(dir, Watchdog.ServerPidFile))!.Value;

        server.Dispose();

        // Dispose waits only a bounded while (it runs at process exit); the watchdog finishes on its own regardless.
        Assert.True(WaitFor(() => !Directory.Exists(dir) && !Watchdog.IsAlive(pid), TimeSpan.FromSeconds(30)),
            $"server alive: {Watchdog.IsAlive(pid)}, folder left: {Directory.Exists(dir)}");
        Assert.Equal("stopped", File.ReadAllText(marker).Trim());
    }

    [Fact]
    public async Task AServerThatDiesEarlyIsReportedWithItsOutput()
    {
        var dir = TestRun.Folder($"wd-{Guid.NewGuid():N}");
        using var server = new ServerProcess("bash", ["-c", "echo cannot bind; exit 3"], dir);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            server.WaitUntilAsync(() => Task.FromResult(false), TimeSpan.FromSeconds(10), "the server"));
        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("cannot bind", e.Message);
    }

    [Fact]
    public void TheNextRunSweepsFoldersAndServersOfDeadRunsOnly()
    {
        var temp = TestRun.Folder($"sweep-{Guid.NewGuid():N}");
        using var gone = Start("sleep", "0");
        gone.WaitForExit();
        var dead = Directory.CreateDirectory(Path.Combine(temp, $"{TestRun.Prefix}{gone.Id}", "pg")).FullName;
        // A server whose watchdog was killed too: still running from the dead run's folder.
        using var stray = Start("sleep", "600", workingDirectory: dead);
        File.WriteAllText(Path.Combine(dead, Watchdog.ServerPidFile), stray.Id.ToString());
        using var live = Start("sleep", "600");
        var liveRun = Directory.CreateDirectory(Path.Combine(temp, $"{TestRun.Prefix}{live.Id}")).FullName;
        var otherLayout = Directory.CreateDirectory(Path.Combine(temp, $"{TestRun.Prefix}pg-{Guid.NewGuid():N}")).FullName;
        try
        {
            TestRun.SweepDeadRuns(temp);

            Assert.False(Directory.Exists(Path.GetDirectoryName(dead)));
            Assert.True(stray.WaitForExit(10_000));
            Assert.True(Directory.Exists(liveRun));
            Assert.True(Directory.Exists(otherLayout));
        }
        finally
        {
            live.Kill();
            if (!stray.HasExited) stray.Kill();
        }
    }

    private static Process Start(string file, string arg, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file, [arg]) { UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        return Process.Start(psi)!;
    }

    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(50);
        }
        return true;
    }

    // /proc/PID/stat: "pid (comm) state ppid pgrp session ..."
    private static string[] Stat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private static int ParentOf(int pid) => int.Parse(Stat(pid)[1]);

    private static int SessionOf(int pid) => int.Parse(Stat(pid)[3]);
}
