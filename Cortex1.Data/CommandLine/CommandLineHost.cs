using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cortex1.Data.CommandLine;

/// <summary>
/// What the services' one-shot commands (<c>Cortex1.Ingest -- fetch</c>, <c>Cortex1.Synth -- generate</c>,
/// <c>Cortex1.Trainer -- train</c>) share: a host configured like the service (appsettings.json next to the binary,
/// whatever the working directory, then the environment) that logs warnings on one line, since the command prints
/// its own progress, and the error a user sees when a connection string is missing.
/// </summary>
public static class CommandLineHost
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadSetup = 2;

    /// <summary>Stopped by Ctrl+C or SIGTERM after cleaning up (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// Turns Ctrl+C (SIGINT) and SIGTERM into a cancellation the command finishes cleanly on (a job given back, a
    /// message printed), instead of the process ending mid-step. A second Ctrl+C still ends it at once. Pair it with an
    /// invocation whose ProcessTerminationTimeout is null, so System.CommandLine leaves the signals to it.
    /// </summary>
    public static IDisposable CancelOnInterrupt(CancellationTokenSource stop)
    {
        var registrations = new List<PosixSignalRegistration>();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (stop.IsCancellationRequested) return;   // the second signal: let it end the process
                context.Cancel = true;
                stop.Cancel();
            }));
        return new Registrations(registrations);
    }

    private sealed class Registrations(List<PosixSignalRegistration> items) : IDisposable
    {
        public void Dispose() => items.ForEach(r => r.Dispose());
    }

    public static HostApplicationBuilder CreateBuilder(Type command)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = command.Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        return builder;
    }

    /// <summary>
    /// A file or folder path as the user typed it. <c>dotnet run --project …</c> starts the program in the project's
    /// folder, so a relative path is first read against the shell's directory (<c>$PWD</c>, where the command was
    /// typed), then against the current one.
    /// </summary>
    public static string ResolveUserPath(string path)
    {
        if (Path.IsPathRooted(path)) return path;
        if (Environment.GetEnvironmentVariable("PWD") is { Length: > 0 } shell && Path.IsPathRooted(shell))
        {
            var typed = Path.GetFullPath(path, shell);
            if (File.Exists(typed) || Directory.Exists(typed)) return typed;
        }
        return Path.GetFullPath(path);
    }

    /// <summary>The error for the first of <paramref name="names"/> that is not configured, or null when all are.</summary>
    public static string? MissingConnection(IConfiguration configuration, params string[] names) =>
        names.FirstOrDefault(n => string.IsNullOrWhiteSpace(configuration.GetConnectionString(n))) is { } name
            ? $"""
              ConnectionStrings:{name} is not set. Set it in appsettings.json or the environment, e.g.
                export ConnectionStrings__{name}="{Example(name)}"
              When the AppHost runs, copy the {name} connection string from the Aspire dashboard.
              """
            : null;

    private static string Example(string name) => name switch
    {
        ConnectionNames.Database => $"Host=localhost;Port=5432;Username=postgres;Password=…;Database={ConnectionNames.Database}",
        ConnectionNames.Blobs => "UseDevelopmentStorage=true", // Azurite on 127.0.0.1:10000; or an Azure Storage account's
        _ => "…",
    };
}
