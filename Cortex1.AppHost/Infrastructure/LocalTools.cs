using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cortex1.Infrastructure;

/// <summary>
/// Finds and prepares the local executables Cortex1 runs when there is no container runtime:
/// Debian's PostgreSQL server and Azurite from npm. The AppHost's local mode and the test
/// fixtures both use this one file, so the app and its tests start the servers the same way.
/// </summary>
internal static class LocalTools
{
    /// <summary>Azurite's documented development account. It is public, not a secret.</summary>
    public const string AzuriteAccount = "devstoreaccount1";
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public const string PostgresInstallHint =
        "PostgreSQL server binaries (initdb, postgres) were not found. Install them with `sudo apt-get install -y postgresql` " +
        "(Debian/Ubuntu), or set CORTEX1_PG_BIN to the folder that holds them.";

    public const string AzuriteInstallHint =
        "Azurite was not found. Run `npm ci` in the repository root (package.json pins azurite), " +
        "or `npm install -g azurite`, or set CORTEX1_AZURITE to the azurite-blob executable.";

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>The folder holding <c>postgres</c> and <c>initdb</c>: CORTEX1_PG_BIN, Debian's newest version, or PATH.</summary>
    public static string FindPostgresBinDir()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("CORTEX1_PG_BIN") is { Length: > 0 } env) candidates.Add(env);
        if (Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres")) && File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException(PostgresInstallHint);
    }

    /// <summary>
    /// Creates a PostgreSQL cluster in <paramref name="dataDir"/> once (a folder that already holds one
    /// is kept, so data survives restarts). As root the cluster belongs to the <c>postgres</c> user,
    /// because PostgreSQL refuses to run as root.
    /// </summary>
    public static void EnsurePostgresCluster(string binDir, string dataDir, string? password)
    {
        if (File.Exists(Path.Combine(dataDir, "PG_VERSION"))) return;
        Directory.CreateDirectory(dataDir);
        var args = new List<string> { "-D", dataDir, "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync" };
        string? pwFile = null;
        if (password is null)
        {
            args.Add("--auth=trust");
        }
        else
        {
            pwFile = Path.Combine(Path.GetTempPath(), $"cortex1-pw-{Guid.NewGuid():N}");
            File.WriteAllText(pwFile, password);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(pwFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            args.AddRange(["--auth=scram-sha-256", $"--pwfile={pwFile}"]);
        }
        try
        {
            if (IsRoot)
            {
                Run("chown", ["-R", "postgres:postgres", dataDir]);
                CheckReachableByPostgresUser(dataDir);
            }
            var (file, argv) = AsServiceUser(Path.Combine(binDir, "initdb"), args);
            Run(file, argv);
        }
        finally
        {
            if (pwFile is not null) File.Delete(pwFile);
        }
    }

    /// <summary>The command line that runs PostgreSQL in the foreground on 127.0.0.1 (never pg_ctl, which detaches).</summary>
    public static (string File, string[] Args) PostgresCommand(string binDir, string dataDir, int port) =>
        AsServiceUser(Path.Combine(binDir, "postgres"),
        [
            "-D", dataDir, "-p", port.ToString(), "-h", "127.0.0.1",
            // No Unix socket: /var/run/postgresql may not exist or be writable, and TCP is all we use.
            "-c", "unix_socket_directories=",
            "-c", "max_connections=200",
        ]);

    public static string FindAzuriteBlob(string? startDir = null)
    {
        if (Environment.GetEnvironmentVariable("CORTEX1_AZURITE") is { Length: > 0 } env && File.Exists(env)) return env;
        for (var dir = new DirectoryInfo(startDir ?? Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var local = Path.Combine(dir.FullName, "node_modules", ".bin", "azurite-blob");
            if (File.Exists(local)) return local;
        }
        foreach (var p in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var global = Path.Combine(p, "azurite-blob");
            if (File.Exists(global)) return global;
        }
        throw new InvalidOperationException(AzuriteInstallHint);
    }

    /// <summary>Azurite's blob service on 127.0.0.1 (not localhost, which may resolve to ::1 first).</summary>
    public static string[] AzuriteArgs(string dataDir, int port, bool inMemory = false) =>
    [
        "--blobHost", "127.0.0.1", "--blobPort", port.ToString(), "--skipApiVersionCheck", "--silent",
        .. inMemory ? new[] { "--inMemoryPersistence" } : ["--location", dataDir],
    ];

    public static string AzuriteConnectionString(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName={AzuriteAccount};AccountKey={AzuriteKey};BlobEndpoint=http://127.0.0.1:{port}/{AzuriteAccount};";

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether anything accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(IPAddress.Loopback, port).Wait(TimeSpan.FromMilliseconds(500)) && client.Connected;
        }
        catch (Exception)
        {
            return false;
        }
    }

    // setpriv execs the server in place (no extra parent process), so signals reach PostgreSQL itself.
    private static (string, string[]) AsServiceUser(string exe, IReadOnlyList<string> args) =>
        IsRoot ? ("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", exe, .. args]) : (exe, [.. args]);

    private static void CheckReachableByPostgresUser(string dataDir)
    {
        var (file, args) = AsServiceUser("test", ["-w", dataDir]);
        using var p = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false })!;
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException(
                $"The 'postgres' user cannot reach '{dataDir}'. Put the state folder where every user can traverse " +
                "(set Infrastructure:StateDir, e.g. /var/lib/cortex1), or run as a normal user.");
    }

    private static void Run(string file, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(6))} failed ({p.ExitCode}): {stderr}{stdout.Result}");
    }
}
