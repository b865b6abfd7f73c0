using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Hosting;

namespace Cortex1.AppHost.Tests;

/// <summary>
/// The deployment manifest azd reads (`--publisher manifest`): containers for PostgreSQL and Azurite whatever this machine
/// has, every service wired to the stores it uses, and the database password a generated secret parameter, never a literal.
/// </summary>
public class ManifestTests
{
    [Fact]
    public async Task The_published_manifest_deploys_containers_wired_to_every_service()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"cortex1-manifest-{Guid.NewGuid():N}");
        var path = Path.Combine(folder, "aspire-manifest.json");
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Cortex1_AppHost>(
                ["--publisher", "manifest", "--output-path", path]);
            await using (var app = await builder.BuildAsync())
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await app.StartAsync(cts.Token);
                // Publish mode writes the manifest and then stops the app: only then is the file whole.
                await app.WaitForShutdownAsync(cts.Token);
            }

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            var resources = manifest.RootElement.GetProperty("resources");
            string Type(string name) => resources.GetProperty(name).GetProperty("type").GetString()!;

            // No container engine here, yet publish mode describes containers: what a deployment runs.
            Assert.Equal("container.v0", Type("postgres"));
            Assert.Equal("container.v0", Type("azurite"));
            Assert.Contains(resources.GetProperty("postgres").GetProperty("volumes").EnumerateArray(),
                v => v.GetProperty("name").GetString() == "cortex1-postgres");
            // Each service is wired to the stores it uses, and only to those: Ingest keeps no files, Inference no state.
            foreach (var (service, database, blobs) in new[]
            {
                ("ingest", true, false), ("synth", true, true), ("trainer", true, true), ("inference", false, true),
            })
            {
                Assert.Equal("project.v0", Type(service));
                var env = resources.GetProperty(service).GetProperty("env");
                Assert.Equal(database ? "{cortexdb.connectionString}" : null,
                    env.TryGetProperty("ConnectionStrings__cortexdb", out var db) ? db.GetString() : null);
                Assert.Equal(blobs ? "{azurite.connectionString}" : null,
                    env.TryGetProperty("ConnectionStrings__blobs", out var b) ? b.GetString() : null);
            }
            // The optional keys are declared for a deployment, as secrets, and reach the services that use them.
            foreach (var (secret, service, variable) in new[]
            {
                ("flipside-api-key", "ingest", "Flipside__ApiKey"),
                ("openrouter-api-key", "synth", "Teacher__ApiKey"),
                ("inference-api-key", "inference", "Inference__ApiKey"),
            })
            {
                Assert.True(resources.GetProperty(secret).GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean(), secret);
                Assert.Equal($"{{{secret}.value}}", resources.GetProperty(service).GetProperty("env").GetProperty(variable).GetString());
            }
            var password = resources.GetProperty("postgres-password").GetProperty("inputs").GetProperty("value");
            Assert.True(password.GetProperty("secret").GetBoolean());
            Assert.True(password.GetProperty("default").TryGetProperty("generate", out _), "the password is generated at deploy time");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
