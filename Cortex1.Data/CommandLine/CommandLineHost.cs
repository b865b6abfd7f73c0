using System.CommandLine;
using System.Runtime.InteropServices;
using Azure;
using Cortex1.Data.Migrations;
using Cortex1.Data.Storage;
using Cortex1.ServiceDefaults.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cortex1.Data.CommandLine;

/// <summary>
/// The shape the services' one-shot commands (<c>Cortex1.Ingest fetch</c>, <c>Cortex1.Synth generate</c>,
/// <c>Cortex1.Trainer train</c>) share: the command line parsed with Ctrl+C turned into a clean stop
/// (<see cref="InvokeAsync"/>), then <see cref="RunAsync"/>: connections checked, a host configured like the service,
/// migrations applied and containers created, the work run, its failure printed, one of <see cref="ExitCodes"/> returned.
/// </summary>
public static class CommandLineHost
{
    /// <summary>
    /// Parses <paramref name="args"/> against <paramref name="root"/> and runs the chosen action. Ctrl+C (SIGINT) and
    /// SIGTERM (or <paramref name="stop"/>) cancel the action's token, and the action finishes cleanly on it (a job
    /// given back, a message printed) instead of the process ending mid-step; a second Ctrl+C still ends it at once.
    /// A parse error (an unknown option, a value that is not a number) is <see cref="ExitCodes.BadInput"/>.
    /// </summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr, CancellationToken stop = default)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) await stderr.WriteLineAsync($"error: {e.Message}");
            await stderr.WriteLineAsync("Add --help to the command for its options.");
            return ExitCodes.BadInput;
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var signals = CancelOnInterrupt(cancel);
        // ProcessTerminationTimeout null: the library leaves the signals to CancelOnInterrupt, instead of ending the
        // process two seconds after one, in the middle of a step.
        // The library's own exception handler would turn a cancellation into exit 1 with nothing said: a command that
        // does not handle its stop itself still ends as interrupted (130), and any other failure as one line (1).
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout, Error = stderr, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false,
            }, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static IDisposable CancelOnInterrupt(CancellationTokenSource stop)
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

    /// <summary>
    /// A host configured like the service (appsettings.json next to the binary, whatever the working directory, then
    /// the environment) that logs warnings on one line, since the command prints its own progress.
    /// </summary>
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
    /// Runs <paramref name="command"/> on <paramref name="builder"/>'s host: a connection it needs that is not set is
    /// <see cref="ExitCodes.BadInput"/> with how to set it; then the stores it needs are registered and prepared (the
    /// migrations applied, the blob containers created) before its work. Stopped (<paramref name="ct"/>), it prints
    /// <see cref="DataCommand.Interrupted"/> and returns <see cref="ExitCodes.Interrupted"/>; a PostgreSQL or blob storage
    /// error, or one <see cref="DataCommand.ExitCodeOf"/> knows, is one line on <paramref name="stderr"/>.
    /// </summary>
    public static async Task<int> RunAsync(HostApplicationBuilder builder, DataCommand command, TextWriter stderr, CancellationToken ct)
    {
        if (MissingConnection(builder.Configuration, command.Needs) is { } missing)
        {
            await stderr.WriteLineAsync($"error: {missing}");
            return ExitCodes.BadInput;
        }
        var database = command.Needs.Contains(ConnectionNames.Database);
        var blobs = command.Needs.Contains(ConnectionNames.Blobs);
        if (database) builder.AddCortex1Database();
        if (blobs) builder.AddCortex1Blobs();
        command.Register?.Invoke(builder);
        using var host = builder.Build();
        var services = host.Services;
        try
        {
            if (database) await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
            if (blobs) await services.GetRequiredService<BlobStore>().EnsureContainersAsync(ct);
            return await command.Work(services, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync(command.Interrupted);
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (command.ExitCodeOf?.Invoke(e) is { } code)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return code;
        }
        catch (NpgsqlException e)
        {
            var server = new NpgsqlConnectionStringBuilder(builder.Configuration.GetConnectionString(ConnectionNames.Database)).Host;
            await stderr.WriteLineAsync($"error: PostgreSQL ({server}): {e.Message}");
            return ExitCodes.Failed;
        }
        catch (RequestFailedException e)
        {
            await stderr.WriteLineAsync($"error: blob storage: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    /// <summary>A file or folder path as the user typed it (<see cref="UserPaths.Resolve"/>).</summary>
    public static string ResolveUserPath(string path) => UserPaths.Resolve(path);

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

/// <summary>What a data command is, for <see cref="CommandLineHost.RunAsync"/>.</summary>
public sealed class DataCommand
{
    /// <summary>The connections it uses (<see cref="ConnectionNames"/>): each is checked, registered and prepared.</summary>
    public required string[] Needs { get; init; }

    /// <summary>The command's own services, registered after the stores.</summary>
    public Action<HostApplicationBuilder>? Register { get; init; }

    /// <summary>The work, once the stores are ready; returns one of <see cref="ExitCodes"/>.</summary>
    public required Func<IServiceProvider, CancellationToken, Task<int>> Work { get; init; }

    /// <summary>What the user reads when it is stopped: what was kept, and how to go on.</summary>
    public required string Interrupted { get; init; }

    /// <summary>The exit code of a failure the command expects (printed as <c>error: {message}</c>), or null for any other.</summary>
    public Func<Exception, int?>? ExitCodeOf { get; init; }
}
