namespace Cortex1.TestSupport;

/// <summary>
/// Points this test process's temp folder at its run folder (<see cref="TestRun.Root"/>). <c>Path.GetTempPath()</c>
/// reads <c>TMPDIR</c> on every call and child processes inherit it, so everything product code writes to "temp" during
/// tests (model caches, scratch folders, the AppHost's local state) goes with the run when its watchdog removes it,
/// even when the test host is killed before any Dispose runs.
/// </summary>
public static class TestTemp
{
    public static void Redirect()
    {
        var root = TestRun.Root;   // created under the original temp folder, which also sweeps dead runs there
        Environment.SetEnvironmentVariable("TMPDIR", root);
    }
}
