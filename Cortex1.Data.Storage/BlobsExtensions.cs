using Azure.Storage.Blobs;
using Cortex1.Data.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cortex1.Data;

public static class BlobsExtensions
{
    /// <summary>
    /// Blob storage alone: the client, the store and the local mirror, for a service that only reads and writes files.
    /// Nothing runs at start; <c>AddCortex1Data</c> adds PostgreSQL and creates the containers.
    /// </summary>
    public static IHostApplicationBuilder AddCortex1Blobs(this IHostApplicationBuilder builder)
    {
        var blobs = builder.Configuration.GetConnectionString(ConnectionNames.Blobs)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionNames.Blobs} is not set. Start the service from Cortex1.AppHost, or set it to an Azure Storage or Azurite connection string.");
        builder.Services.AddSingleton(new BlobServiceClient(blobs));
        builder.Services.AddSingleton<BlobStore>();
        builder.Services.AddSingleton<BlobMirror>();
        return builder;
    }
}
