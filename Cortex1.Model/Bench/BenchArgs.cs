using System.Globalization;

namespace Cortex1.Model.Bench;

/// <summary>`--name value` options of the bench commands (engine and trainer), with defaults and a clear error.</summary>
public sealed class BenchArgs(string[] args)
{
    public string String(string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    public int Int(string name, int fallback) =>
        String(name, "") is { Length: > 0 } text
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw new ArgumentException($"{name} must be a positive whole number, not '{text}'.")
            : fallback;
}
