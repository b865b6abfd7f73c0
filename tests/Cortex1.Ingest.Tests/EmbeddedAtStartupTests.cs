using Cortex1.Data;
using Cortex1.Data.Market;
using Cortex1.Ingest.Pipeline;
using Cortex1.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cortex1.Ingest.Tests;

public sealed class EmbeddedAtStartupTests
{
    private static EmbeddedHistoryAtStartup Create(ServiceProvider services, StorageReadiness readiness, Dictionary<string, string?> settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), readiness,
            services.GetRequiredService<MarketStore>(), services.GetRequiredService<MarketIngestor>(),
            NullLogger<EmbeddedHistoryAtStartup>.Instance);

    [Fact]
    public async Task Without_a_key_the_history_is_loaded_once_storage_is_ready()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var services = TestHost.Services(db);
        var store = services.GetRequiredService<MarketStore>();
        var readiness = new StorageReadiness(); // "starting" until Ready()
        var loader = Create(services, readiness, []);

        await loader.StartAsync(CancellationToken.None);
        await Task.Delay(300);
        Assert.Empty(await store.GetChainsAsync()); // waits for migrations before touching the tables
        readiness.Ready();
        await loader.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal(["bitcoin", "ethereum", "solana"], (await store.GetChainsAsync()).Select(c => c.Chain));
    }

    [Fact]
    public void With_a_key_it_is_off_unless_asked_for()
    {
        static bool Enabled(Dictionary<string, string?> s) =>
            EmbeddedHistoryAtStartup.IsEnabled(new ConfigurationBuilder().AddInMemoryCollection(s).Build());

        Assert.True(Enabled([]));
        Assert.False(Enabled(new() { ["Flipside:ApiKey"] = "k" }));
        Assert.True(Enabled(new() { ["Flipside:ApiKey"] = "k", ["Ingest:LoadEmbeddedAtStartup"] = "true" }));
        Assert.False(Enabled(new() { ["Ingest:LoadEmbeddedAtStartup"] = "false" }));
    }
}
