using Cortex1.Infrastructure;

namespace Cortex1.TestSupport;

public static class Ports
{
    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int Free() => LocalTools.FreeTcpPort();
}
