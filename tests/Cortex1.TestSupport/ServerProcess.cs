namespace Cortex1.TestSupport;

/// <summary>
/// A server process owned by the test run, started by a <see cref="Watchdog"/> in its own folder
/// under <see cref="TestRun.Root"/>: the watchdog stops it and removes the folder when this test
/// process goes away (even killed), or when this object is disposed. Its output is kept in the
/// folder for error messages.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly string _dir;

    /// <param name="dir">The server's folder (created by the caller, removed with the server).</param>
    /// <param name="stopSignal">The signal that stops the server cleanly and promptly (PostgreSQL: INT, its fast shutdown).</param>
    public ServerProcess(string file, IEnumerable<string> args, string dir, string stopSignal = "TERM")
    {
        _dir = dir;
        Watchdog.Start(dir, stopSignal, file, args);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public bool HasExited => File.Exists(Path.Combine(_dir, Watchdog.ExitFile));

    /// <summary>The last 200 lines the server wrote.</summary>
    public string Output
    {
        get
        {
            try
            {
                using var stream = new FileStream(Path.Combine(_dir, Watchdog.LogFile), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var lines = new StreamReader(stream).ReadToEnd().Split('\n');
                return string.Join('\n', lines.TakeLast(200));
            }
            catch (IOException)
            {
                return "";
            }
        }
    }

    /// <summary>Polls <paramref name="ready"/> until it returns true, failing early if the process dies.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> ready, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (HasExited)
                throw new InvalidOperationException(
                    $"{what} exited with code {File.ReadAllText(Path.Combine(_dir, Watchdog.ExitFile)).Trim()} before it was ready:\n{Output}");
            if (await ready()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{what} was not ready within {timeout.TotalSeconds:0} s:\n{Output}");
    }

    /// <summary>Asks the watchdog to stop the server and remove its folder, and waits a little for it.</summary>
    public void Dispose() => Watchdog.Stop(_dir, TimeSpan.FromSeconds(5));
}
