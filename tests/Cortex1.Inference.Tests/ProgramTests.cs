using System.Reflection;
using Cortex1.Inference.Cli;
using Cortex1.ServiceDefaults.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Tests;

/// <summary>How the program starts: its commands, and a service that needs blob storage and no database.</summary>
public class ProgramTests
{
    [Fact]
    public async Task A_mistyped_command_is_an_error_that_lists_the_commands()
    {
        var served = false;
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await ServiceCommands.RunAsync(["loadtset", "--url", "http://127.0.0.1:5000"], InferenceCommands.All,
            _ => { served = true; return Task.FromResult(ExitCodes.Ok); }, stdout, stderr);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.False(served);
        foreach (var command in new[] { "serve", "bench", "loadtest" }) Assert.Contains($"  {command} ", stderr.ToString());
    }

    [Fact]
    public async Task The_service_runs_without_a_database_and_nothing_it_loads_brings_PostgreSQL()
    {
        // InferenceServer gives it blob storage only: no ConnectionStrings:cortexdb at all.
        await using var server = await InferenceServer.StartAsync();
        var checks = server.App.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name).ToList();
        Assert.Contains("model", checks);
        Assert.DoesNotContain(checks, n => n == "storage-ready" || n.Contains("postgres", StringComparison.OrdinalIgnoreCase) || n.Contains("npgsql", StringComparison.OrdinalIgnoreCase));

        var seen = new HashSet<string>();
        var todo = new Stack<AssemblyName>([typeof(InferenceApp).Assembly.GetName()]);
        while (todo.TryPop(out var name))
        {
            if (!seen.Add(name.Name!) || !name.Name!.StartsWith("Cortex1.", StringComparison.Ordinal)) continue;
            foreach (var reference in Assembly.Load(name).GetReferencedAssemblies()) todo.Push(reference);
        }
        Assert.Contains("Cortex1.Data.Storage", seen);
        Assert.DoesNotContain("Cortex1.Data", seen);
        Assert.DoesNotContain(seen, n => n.StartsWith("Npgsql", StringComparison.Ordinal));
    }
}
