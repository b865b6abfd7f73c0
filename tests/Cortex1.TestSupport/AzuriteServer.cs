using Azure.Storage.Blobs;
using Cortex1.Data.Storage;
using Cortex1.Infrastructure;

namespace Cortex1.TestSupport;

/// <summary>
/// A real Azurite blob server for tests (from the repository's node_modules), in memory on a free
/// 127.0.0.1 port, started once per test process.
/// </summary>
public static class AzuriteServer
{
    private static readonly Lazy<Task<string>> Connection = new(StartAsync);

    public static Task<string> GetConnectionStringAsync() => Connection.Value;

    /// <summary>A blob store whose containers exist. Tests share the server, so use unique blob names.</summary>
    public static async Task<BlobStore> CreateStoreAsync()
    {
        var store = new BlobStore(new BlobServiceClient(await Connection.Value));
        await store.EnsureContainersAsync();
        return store;
    }

    private static async Task<string> StartAsync()
    {
        var exe = LocalTools.FindAzuriteBlob(AppContext.BaseDirectory);
        var port = LocalTools.FreeTcpPort();
        var root = TestRun.Folder($"azurite-{Guid.NewGuid():N}");
        var server = new ServerProcess(exe, LocalTools.AzuriteArgs(root, port, inMemory: true), root);
        var connection = LocalTools.AzuriteConnectionString(port);
        var client = new BlobServiceClient(connection);
        await server.WaitUntilAsync(async () =>
        {
            try
            {
                await client.GetPropertiesAsync();
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        }, TimeSpan.FromMinutes(3), "Azurite");
        return connection;
    }
}
