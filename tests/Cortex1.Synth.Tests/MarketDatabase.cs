using Cortex1.Data.Jobs;
using Cortex1.Data.Storage;
using Cortex1.Ingest;
using Cortex1.Ingest.Pipeline;
using Cortex1.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Cortex1.Synth.Tests;

/// <summary>
/// One real PostgreSQL database with the embedded history loaded by Ingest's own loader, and a real
/// Azurite, shared by the tests of the <see cref="MarketCollection"/> (which run one after another).
/// </summary>
public sealed class MarketDatabase : IAsyncLifetime
{
    public NpgsqlDataSource Db { get; private set; } = null!;
    public BlobStore Blobs { get; private set; } = null!;
    public string BlobConnection { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Db = await PostgresServer.CreateDatabaseAsync();
        Blobs = await AzuriteServer.CreateStoreAsync();
        BlobConnection = await AzuriteServer.GetConnectionStringAsync();
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Flipside:BaseUrl"] = "http://127.0.0.1:9/" }).Build();
        await using var ingest = new ServiceCollection().AddLogging().AddSingleton(Db).AddIngestCore(config).BuildServiceProvider();
        await ingest.GetRequiredService<MarketIngestor>().LoadEmbeddedAsync();
    }

    /// <summary>Synth's services over this database and blob store, as the CLI wires them.</summary>
    public ServiceProvider Synth(Dictionary<string, string?>? settings = null)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        return new ServiceCollection().AddLogging().AddSingleton(Db).AddSingleton(Blobs).AddSingleton<JobQueue>()
            .AddSynthCore(config).BuildServiceProvider();
    }

    public Task DisposeAsync() => Db.DisposeAsync().AsTask();
}

[CollectionDefinition(Name)]
public sealed class MarketCollection : ICollectionFixture<MarketDatabase>
{
    public const string Name = "market database";
}
