using System.Collections.Concurrent;
using System.Diagnostics;

namespace Cortex1.TestSupport;

/// <summary>
/// A server process owned by the test run: its output is kept for error messages, and it is
/// killed (with its folder removed) when the test process exits.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string? _ownedDir;

    public ServerProcess(string file, IEnumerable<string> args, string? ownedDir = null)
    {
        _ownedDir = ownedDir;
        // A shell watchdog stops the server and removes its folder when this test process goes away,
        // even when the test host is killed and no exit handler runs.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Watchdog);
        psi.ArgumentList.Add("watchdog");
        psi.ArgumentList.Add(Environment.ProcessId.ToString());
        psi.ArgumentList.Add(ownedDir ?? "");
        psi.ArgumentList.Add(file);
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    private const string Watchdog = """
        owner=$1; dir=$2; shift 2
        "$@" & child=$!
        trap 'kill -TERM $child 2>/dev/null' TERM INT
        while kill -0 "$owner" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done
        kill -TERM $child 2>/dev/null; wait $child; status=$?
        [ -n "$dir" ] && rm -rf "$dir"
        exit $status
        """;

    public bool HasExited => _process.HasExited;
    public string Output => string.Join('\n', _output);

    /// <summary>Polls <paramref name="ready"/> until it returns true, failing early if the process dies.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> ready, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{what} exited with code {_process.ExitCode} before it was ready:\n{Output}");
            if (await ready()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{what} was not ready within {timeout.TotalSeconds:0} s:\n{Output}");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > 200) _output.TryDequeue(out _);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        if (_ownedDir is not null && Directory.Exists(_ownedDir))
        {
            try { Directory.Delete(_ownedDir, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
