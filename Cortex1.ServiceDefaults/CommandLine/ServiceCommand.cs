namespace Cortex1.ServiceDefaults.CommandLine;

/// <summary>
/// A one-shot command a service's program runs instead of the service (<c>Cortex1.Trainer train …</c>).
/// </summary>
/// <param name="Name">The first word of the command line.</param>
/// <param name="Description">One line for the program's list of commands.</param>
/// <param name="Run">Gets the whole command line, <paramref name="Name"/> first (so a parser prints the command's own
/// usage), and returns one of <see cref="ExitCodes"/>.</param>
public sealed record ServiceCommand(string Name, string Description, Func<string[], Task<int>> Run);
