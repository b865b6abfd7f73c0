using System.Diagnostics;

namespace Cortex1.TestSupport;

/// <summary>
/// A detached shell that owns one folder (and optionally one server process) for the test process:
/// when the test process is gone, however it went (even SIGKILLed by the test runner), or when the
/// watchdog is signalled, it stops the server, waits for watchdogs of folders nested inside, and
/// removes the folder. It runs in its own session and is re-parented away from the test host, so
/// neither a process-tree kill nor a process-group signal aimed at the host reaches it: nobody
/// kills it, it is only signalled (SIGTERM) and does the cleanup itself.
/// </summary>
/// <remarks>
/// Files in the folder: <c>watchdog.pid</c> (the shell), <c>server.pid</c>, <c>server.log</c> (the
/// server's stdout and stderr) and <c>exit</c> (the server's exit status, once it exited on its own).
/// </remarks>
public static class Watchdog
{
    public const string PidFile = "watchdog.pid";
    public const string ServerPidFile = "server.pid";
    public const string LogFile = "server.log";
    public const string ExitFile = "exit";

    // alive: true for a process that exists and is not a zombie (a killed owner its parent has not reaped yet is gone).
    private const string Script = """
        exec </dev/null >/dev/null 2>&1
        owner=$1; dir=$2; sig=$3; shift 3
        alive() { local s; s=$(cat /proc/$1/stat 2>/dev/null) || return 1; s=${s##*) }; [ "${s%% *}" != Z ]; }
        stop=0; trap 'stop=1' TERM INT HUP
        child=
        if [ $# -gt 0 ]; then
          (cd "$dir" && exec "$@") >"$dir/server.log" 2>&1 </dev/null & child=$!
          echo "$child" >"$dir/server.pid"
        fi
        echo $$ >"$dir/watchdog.pid.tmp" && mv "$dir/watchdog.pid.tmp" "$dir/watchdog.pid"
        while [ $stop = 0 ] && alive "$owner"; do
          if [ -n "$child" ] && [ ! -e "$dir/exit" ] && ! kill -0 "$child" 2>/dev/null; then
            wait "$child"; echo $? >"$dir/exit"
          fi
          sleep 0.2
        done
        if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
          kill -"$sig" "$child" 2>/dev/null
          for i in $(seq 150); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
          kill -KILL "$child" 2>/dev/null
          wait "$child" 2>/dev/null
        fi
        for f in "$dir"/*/watchdog.pid; do
          [ -e "$f" ] || continue
          w=$(cat "$f"); for i in $(seq 300); do alive "$w" || break; sleep 0.1; done
        done
        rm -rf "$dir"
        """;

    /// <summary>Starts a watchdog over <paramref name="dir"/> (which must exist) and returns once it is in charge.</summary>
    /// <param name="owner">The process whose end ends the watchdog: this one unless a test names another.</param>
    public static void Start(string dir, string stopSignal, string? file = null, IEnumerable<string>? args = null, int? owner = null)
    {
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var a in (string[])["-f", "bash", "-c", Script, "watchdog", (owner ?? Environment.ProcessId).ToString(), dir, stopSignal])
            psi.ArgumentList.Add(a);
        if (file is not null) psi.ArgumentList.Add(file);
        foreach (var a in args ?? []) psi.ArgumentList.Add(a);
        using (var setsid = Process.Start(psi) ?? throw new InvalidOperationException("Could not start setsid."))
            setsid.WaitForExit();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(Path.Combine(dir, PidFile)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The watchdog for {dir} did not start.");
            Thread.Sleep(10);
        }
    }

    /// <summary>Signals the watchdog of <paramref name="dir"/> and waits (bounded) until it has removed the folder.</summary>
    public static void Stop(string dir, TimeSpan wait)
    {
        if (ReadPid(Path.Combine(dir, PidFile)) is not { } pid) return;
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", pid.ToString()]) { UseShellExecute = false, RedirectStandardError = true }))
            kill?.WaitForExit();
        var deadline = DateTime.UtcNow + wait;
        while (Directory.Exists(dir) && DateTime.UtcNow < deadline) Thread.Sleep(20);
    }

    public static int? ReadPid(string file)
    {
        try
        {
            return int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="pid"/> is a live process (not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..];
            return !state.StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
