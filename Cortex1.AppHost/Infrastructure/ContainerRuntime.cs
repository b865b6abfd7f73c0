using System.Diagnostics;

namespace Cortex1.AppHost.Infrastructure;

/// <summary>Whether a container engine answers here (a docker CLI without a daemon does not count).</summary>
public static class ContainerRuntime
{
    public static bool IsHealthy()
    {
        foreach (var cli in new[] { "docker", "podman" })
        {
            try
            {
                var psi = new ProcessStartInfo(cli, "info --format {{.ServerVersion}}")
                {
                    UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
                };
                using var p = Process.Start(psi);
                if (p is null) continue;
                if (!p.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    p.Kill(true);
                    continue;
                }
                if (p.ExitCode == 0 && p.StandardOutput.ReadToEnd().Trim().Length > 0) return true;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // CLI not installed
            }
        }
        return false;
    }
}
