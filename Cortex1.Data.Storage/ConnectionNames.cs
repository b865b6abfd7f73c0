namespace Cortex1.Data;

/// <summary>Connection names the AppHost gives the services (namespace Cortex1.Data, as every service reads them).</summary>
public static class ConnectionNames
{
    public const string Database = "cortexdb";
    public const string Blobs = "blobs";
}
