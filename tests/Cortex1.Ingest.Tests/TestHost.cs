using Cortex1.Ingest.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Cortex1.Ingest.Tests;

/// <summary>The ingest services wired as the service wires them, over a test database and (optionally) the fake Flipside.</summary>
internal static class TestHost
{
    public static Dictionary<string, string?> Settings(FakeFlipside? flipside, string? apiKey = FakeFlipside.ApiKey) => new()
    {
        ["Flipside:ApiKey"] = flipside is null ? null : apiKey,
        ["Flipside:BaseUrl"] = flipside?.BaseUrl.ToString() ?? "http://127.0.0.1:9/",
        ["Flipside:PollInitialDelay"] = "00:00:00.010",
        ["Flipside:PollMaxDelay"] = "00:00:00.040",
        ["Flipside:RetryBaseDelay"] = "00:00:00.020",
    };

    public static ServiceProvider Services(NpgsqlDataSource db, FakeFlipside? flipside = null)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(Settings(flipside)).Build();
        return new ServiceCollection().AddLogging().AddSingleton(db).AddIngestCore(config).BuildServiceProvider();
    }

    public static MarketIngestor Ingestor(ServiceProvider services) => services.GetRequiredService<MarketIngestor>();
}
