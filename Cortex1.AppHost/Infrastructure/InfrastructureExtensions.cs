using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Cortex1.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Cortex1.AppHost.Infrastructure;

/// <summary>The two stores every service uses, whichever way they are provided.</summary>
public sealed record Cortex1Infrastructure(
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> Blobs);

/// <summary>Settings under <c>Infrastructure:</c> in the AppHost's configuration.</summary>
public sealed class InfrastructureOptions
{
    /// <summary><c>auto</c> (containers when a container engine answers, else local), <c>containers</c> or <c>local</c>.</summary>
    public string Mode { get; set; } = "auto";

    /// <summary>Where local mode keeps PostgreSQL's cluster and Azurite's files. Default: <c>.state</c> in the repository.</summary>
    public string? StateDir { get; set; }

    public int PostgresPort { get; set; } = 5433;
    public int AzuritePort { get; set; } = 10000;
}

public static class InfrastructureExtensions
{
    public static Cortex1Infrastructure AddCortex1Infrastructure(this IDistributedApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Infrastructure").Get<InfrastructureOptions>() ?? new InfrastructureOptions();
        var mode = options.Mode.ToLowerInvariant() switch
        {
            "containers" or "container" => "containers",
            "local" => "local",
            "auto" => builder.ExecutionContext.IsPublishMode || ContainerRuntime.IsHealthy() ? "containers" : "local",
            var other => throw new InvalidOperationException($"Infrastructure:Mode must be auto, containers or local, not '{other}'."),
        };
        return mode == "containers" ? AddContainers(builder) : AddLocal(builder, options);
    }

    private static Cortex1Infrastructure AddContainers(IDistributedApplicationBuilder builder)
    {
        var db = builder.AddPostgres("postgres").WithDataVolume("cortex1-postgres").AddDatabase("cortexdb");
        var azurite = builder.AddResource(new AzuriteContainerResource("azurite"))
            .WithImage("azure-storage/azurite", "3.35.0").WithImageRegistry("mcr.microsoft.com")
            .WithArgs("azurite-blob", "--blobHost", "0.0.0.0", "--skipApiVersionCheck", "--location", "/data")
            .WithVolume("cortex1-azurite", "/data")
            .WithEndpoint(targetPort: 10000, name: "blob", scheme: "http");
        AddBlobHealthCheck(builder, azurite);
        return new(db, azurite);
    }

    private static Cortex1Infrastructure AddLocal(IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        var state = Path.GetFullPath(options.StateDir ?? Path.Combine(builder.AppHostDirectory, "..", ".state"));
        Directory.CreateDirectory(state);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(state, (UnixFileMode)0b111_101_101); // the postgres user must traverse it

        // PostgreSQL: one cluster, created on first start and kept, so data survives restarts.
        var pgBin = LocalTools.FindPostgresBinDir();
        var pgData = Path.Combine(state, "postgres");
        var pw = LoadOrCreatePassword(state);
        var password = builder.AddParameter("postgres-password", pw, secret: true);
        LocalTools.EnsurePostgresCluster(pgBin, pgData, pw);
        EnsurePortFree(options.PostgresPort, "Infrastructure:PostgresPort");
        var (pgFile, pgArgs) = LocalTools.PostgresCommand(pgBin, pgData, options.PostgresPort);
        var postgres = builder.AddResource(new LocalPostgresResource("postgres", pgFile, state, password.Resource))
            .WithArgs(pgArgs)
            .WithEndpoint(port: options.PostgresPort, targetPort: options.PostgresPort, scheme: "tcp",
                name: LocalPostgresResource.EndpointName, isProxied: false);
        var pgCheck = $"{postgres.Resource.Name}-ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(pgCheck, async ct =>
        {
            // Ready means: accepting connections with our password, and cortexdb exists (created here once).
            try
            {
                var admin = $"Host=127.0.0.1;Port={options.PostgresPort};Username=postgres;Password={pw};Database=postgres;Pooling=false;Timeout=3";
                await using var conn = new NpgsqlConnection(admin);
                await conn.OpenAsync(ct);
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = 'cortexdb'", conn);
                if (await exists.ExecuteScalarAsync(ct) is null)
                {
                    await using var create = new NpgsqlCommand("CREATE DATABASE cortexdb", conn);
                    await create.ExecuteNonQueryAsync(ct);
                }
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        });
        postgres.WithHealthCheck(pgCheck);

        // Azurite from the repository's node_modules (npm ci), blob service only.
        var azuriteBin = LocalTools.FindAzuriteBlob(builder.AppHostDirectory);
        var azuriteData = Path.Combine(state, "azurite");
        Directory.CreateDirectory(azuriteData);
        EnsurePortFree(options.AzuritePort, "Infrastructure:AzuritePort");
        var azurite = builder.AddResource(new LocalAzuriteResource("azurite", azuriteBin, state))
            .WithArgs(LocalTools.AzuriteArgs(azuriteData, options.AzuritePort))
            .WithEndpoint(port: options.AzuritePort, targetPort: options.AzuritePort, scheme: "http", name: "blob", isProxied: false);
        AddBlobHealthCheck(builder, azurite);

        return new(postgres, azurite);
    }

    private static void AddBlobHealthCheck<T>(IDistributedApplicationBuilder builder, IResourceBuilder<T> azurite) where T : IAzuriteResource
    {
        var name = $"{azurite.Resource.Name}-ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(name, async ct =>
        {
            try
            {
                var cs = await azurite.Resource.ConnectionStringExpression.GetValueAsync(ct);
                await new BlobServiceClient(cs).GetPropertiesAsync(ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        });
        azurite.WithHealthCheck(name);
    }

    private static string PasswordFile(string state) => Path.Combine(state, "postgres-password");

    private static string ReadPassword(string state) => File.ReadAllText(PasswordFile(state)).Trim();

    /// <summary>A random password made once and kept beside the cluster (mode 600), because the cluster is made with it.</summary>
    private static string LoadOrCreatePassword(string state)
    {
        var file = PasswordFile(state);
        if (!File.Exists(file))
        {
            File.WriteAllText(file, Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant());
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return ReadPassword(state);
    }

    private static void EnsurePortFree(int port, string setting)
    {
        if (LocalTools.IsListening(port))
            throw new InvalidOperationException(
                $"Port {port} on 127.0.0.1 is already in use (another Cortex1 AppHost still running?). Stop it, or set {setting} to a free port.");
    }
}
