using Cortex1.Infrastructure;

namespace Cortex1.AppHost.Infrastructure;

/// <summary>Debian's PostgreSQL run as a local executable; its connection string points at the <c>cortexdb</c> database.</summary>
public sealed class LocalPostgresResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public ParameterResource Password => password;
    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host=127.0.0.1;Port={Endpoint.Property(EndpointProperty.Port)};Username=postgres;Password={Password};Database=cortexdb");
}

/// <summary>
/// Azurite's blob service, as a local executable from npm or as a container. The endpoint is written
/// as 127.0.0.1: Azurite parses an account from "localhost" URLs differently and rejects blob names.
/// </summary>
public interface IAzuriteResource : IResourceWithConnectionString
{
    EndpointReference BlobEndpoint { get; }

    ReferenceExpression IResourceWithConnectionString.ConnectionStringExpression => ReferenceExpression.Create(
        $"DefaultEndpointsProtocol=http;AccountName={LocalTools.AzuriteAccount};AccountKey={LocalTools.AzuriteKey};BlobEndpoint=http://{BlobEndpoint.Property(EndpointProperty.IPV4Host)}:{BlobEndpoint.Property(EndpointProperty.Port)}/{LocalTools.AzuriteAccount};");
}

public sealed class LocalAzuriteResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IAzuriteResource
{
    public EndpointReference BlobEndpoint => new(this, "blob");
}

public sealed class AzuriteContainerResource(string name) : ContainerResource(name), IAzuriteResource
{
    public EndpointReference BlobEndpoint => new(this, "blob");
}
