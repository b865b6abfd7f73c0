using System.Runtime.CompilerServices;

namespace Cortex1.Web.Tests;

internal static class TempFolder
{
    // Before any test runs: what the tests, the server and the browser write to temp lives in this run's folder.
#pragma warning disable CA2255 // a test assembly is where such set-up belongs
    [ModuleInitializer]
    internal static void Redirect() => Cortex1.TestSupport.TestTemp.Redirect();
#pragma warning restore CA2255
}
