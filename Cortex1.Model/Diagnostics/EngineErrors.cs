namespace Cortex1.Model.Diagnostics;

/// <summary>
/// What a client may be told about an engine failure. libtorch's errors carry its C++ backtrace ("Exception raised
/// from … frame #0 …", with library paths) after the first line: that belongs in the server's log, not in an HTTP
/// reply, and it buries the one line that says what went wrong.
/// </summary>
public static class EngineErrors
{
    const int MaxLength = 400;

    public static string Summary(Exception e)
    {
        var message = e.Message;
        var cut = message.IndexOfAny(['\n', '\r']);
        if (cut >= 0) message = message[..cut];
        var raised = message.IndexOf("Exception raised from", StringComparison.Ordinal);
        if (raised > 0) message = message[..raised];
        message = message.Trim();
        if (message.Length == 0) message = e.GetType().Name;
        return message.Length <= MaxLength ? message : message[..MaxLength] + "…";
    }
}
