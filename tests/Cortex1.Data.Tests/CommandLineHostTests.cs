using Cortex1.Data.CommandLine;
using Microsoft.Extensions.Configuration;

namespace Cortex1.Data.Tests;

public class CommandLineHostTests
{
    [Fact]
    public void A_relative_path_is_read_where_the_command_was_typed_then_in_the_current_folder()
    {
        var shell = Directory.CreateTempSubdirectory("cortex1-shell-").FullName;
        var saved = Environment.GetEnvironmentVariable("PWD");
        try
        {
            File.WriteAllText(Path.Combine(shell, "run.json"), "{}");
            Environment.SetEnvironmentVariable("PWD", shell);   // `dotnet run` starts us in the project folder; PWD is the shell's
            Assert.Equal(Path.Combine(shell, "run.json"), CommandLineHost.ResolveUserPath("run.json"));
            Assert.Equal(Path.GetFullPath("absent.json"), CommandLineHost.ResolveUserPath("absent.json"));
            Assert.Equal("/etc/hosts", CommandLineHost.ResolveUserPath("/etc/hosts"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PWD", saved);
            Directory.Delete(shell, recursive: true);
        }
    }

    [Fact]
    public void A_missing_connection_string_is_named_with_an_example()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:cortexdb"] = "Host=x",
        }).Build();
        Assert.Null(CommandLineHost.MissingConnection(configuration, ConnectionNames.Database));
        var error = CommandLineHost.MissingConnection(configuration, ConnectionNames.Database, ConnectionNames.Blobs);
        Assert.StartsWith("ConnectionStrings:blobs is not set", error);
        Assert.Contains("ConnectionStrings__blobs=\"UseDevelopmentStorage=true\"", error);
    }
}
