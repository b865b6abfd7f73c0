using Azure.Storage.Blobs;
using Cortex1.Data;
using Cortex1.Data.CommandLine;
using Cortex1.Data.Storage;
using Cortex1.Trainer.Runs;
using Microsoft.Extensions.Configuration;

namespace Cortex1.Trainer.Hub;

/// <summary>What the file commands (export, models pull) need from the service's configuration: the blob store (only
/// its connection string, no database) and the Trainer's local cache folder.</summary>
public sealed class CliStorage
{
    public IConfiguration Configuration { get; }
    public string CacheFolder { get; }

    public CliStorage(Type command)
    {
        Configuration = CommandLineHost.CreateBuilder(command).Configuration;
        CacheFolder = Configuration.GetSection("Trainer").Get<TrainerOptions>()?.CacheFolder ?? new TrainerOptions().CacheFolder;
    }

    /// <summary>The blob store, or the error to print when its connection string is not configured.</summary>
    public BlobStore Blobs() =>
        CommandLineHost.MissingConnection(Configuration, ConnectionNames.Blobs) is { } missing
            ? throw new InvalidOperationException(missing)
            : new BlobStore(new BlobServiceClient(Configuration.GetConnectionString(ConnectionNames.Blobs)));

    /// <summary>A path the user typed for something that may not exist yet: relative to the shell's directory ($PWD).</summary>
    public static string OutputPath(string path) =>
        Path.IsPathRooted(path) ? path
        : Environment.GetEnvironmentVariable("PWD") is { Length: > 0 } shell && Path.IsPathRooted(shell) ? Path.GetFullPath(path, shell)
        : Path.GetFullPath(path);
}
