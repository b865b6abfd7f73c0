using System.Reflection;
using Microsoft.Extensions.Hosting;

namespace Cortex1.ServiceDefaults.CommandLine;

/// <summary>
/// How every service's <c>Program.cs</c> starts: the web service, or one of its commands. The service is the default,
/// so the AppHost, <c>dotnet run</c> and ASP.NET's own options (<c>--urls</c>, <c>--environment</c>, <c>--Key=value</c>)
/// start it as before; a first word that is not a command is an error that lists them, rather than a service that
/// starts and waits.
/// </summary>
public static class ServiceCommands
{
    /// <summary>The explicit name of the default: <c>serve --urls …</c> is the same as <c>--urls …</c>, unless the program
    /// has a command of that name (Inference's <c>serve --model …</c>, the server alone).</summary>
    public const string Serve = "serve";

    private static readonly string[] HelpOptions = ["-h", "--help", "-?"];

    /// <summary>Runs the command <paramref name="args"/> name, or builds the service with <paramref name="service"/> and runs it until it stops.</summary>
    public static Task<int> RunAsync(string[] args, IReadOnlyList<ServiceCommand> commands, Func<string[], IHost> service) =>
        RunAsync(args, commands, async serviceArgs =>
        {
            await service(serviceArgs).RunAsync();
            return ExitCodes.Ok;
        });

    /// <summary>
    /// The dispatch itself, with the service as a function: no arguments, or options first → the service with them;
    /// <c>serve …</c> → the service with the rest; a command's name → that command with the whole line; <c>--help</c>
    /// → the list of commands; any other first word → <see cref="ExitCodes.BadInput"/> and the list, on
    /// <paramref name="error"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, IReadOnlyList<ServiceCommand> commands, Func<string[], Task<int>> service,
        TextWriter? output = null, TextWriter? error = null)
    {
        if (args is [] || (args[0].StartsWith('-') && !HelpOptions.Contains(args[0]))) return await service(args);
        if (args[0] == Serve && !commands.Any(c => c.Name == Serve)) return await service(args[1..]);
        if (HelpOptions.Contains(args[0]))
        {
            await (output ?? Console.Out).WriteAsync(Usage(commands));
            return ExitCodes.Ok;
        }
        if (commands.FirstOrDefault(c => c.Name == args[0]) is { } command) return await command.Run(args);

        var stderr = error ?? Console.Error;
        await stderr.WriteLineAsync($"error: '{args[0]}' is not a command.");
        await stderr.WriteAsync(Usage(commands));
        return ExitCodes.BadInput;
    }

    /// <summary>The program's commands, one a line, the service first.</summary>
    public static string Usage(IReadOnlyList<ServiceCommand> commands)
    {
        var program = Assembly.GetEntryAssembly()?.GetName().Name ?? "the program";
        var rows = commands.Select(c => (c.Name, c.Description))
            .ToList();
        if (!commands.Any(c => c.Name == Serve))
            rows.Insert(0, (Serve, "Run the web service (the default: what no command, or only options such as --urls, starts)."));
        var width = rows.Max(r => r.Name.Length);
        return $"Usage: {program} [command] [options]\n\nCommands:\n"
            + string.Concat(rows.Select(r => $"  {r.Name.PadRight(width)}  {r.Description}\n"))
            + $"\nRun '{program} <command> --help' for a command's options.\n";
    }
}
