namespace Cortex1.ServiceDefaults.CommandLine;

/// <summary>
/// What every Cortex1 program's process returns, whichever command it ran (README, "Exit codes"). Scripts and CI branch
/// on these: 2 means "fix the command or the settings", 1 "it was tried and failed", 130 "stopped; the same command
/// resumes".
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>It ran and failed: an upstream or storage error, a failed job.</summary>
    public const int Failed = 1;

    /// <summary>Nothing ran: an unknown command or option, an invalid value, a missing setting or input.</summary>
    public const int BadInput = 2;

    /// <summary>Stopped by Ctrl+C or SIGTERM after cleaning up (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
