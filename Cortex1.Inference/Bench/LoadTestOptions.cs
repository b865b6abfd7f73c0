using System.Globalization;

namespace Cortex1.Inference.Bench;

/// <summary>Command-line options of <c>loadtest</c>; a bad value is an <see cref="ArgumentException"/> naming it.</summary>
public sealed record LoadTestOptions(Uri Url, string? Model, IReadOnlyList<int> Clients, int Requests, int MaxTokens, string Prompt, string? ApiKey,
    double Temperature = 0)
{
    public static LoadTestOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--option value', got '{args[i]}'.");
            values[args[i][2..]] = args[++i];
        }
        var known = new[] { "url", "model", "clients", "requests", "max-tokens", "prompt", "api-key", "temperature" };
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            throw new ArgumentException($"Unknown option --{unknown}.");

        var url = values.GetValueOrDefault("url", "http://127.0.0.1:5000");
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri))
            throw new ArgumentException($"--url '{url}' is not an absolute URL.");
        return new LoadTestOptions(
            uri,
            values.GetValueOrDefault("model"),
            values.GetValueOrDefault("clients", "1,8").Split(',').Select(c => Positive("clients", c)).ToList(),
            Positive("requests", values.GetValueOrDefault("requests", "1")),
            Positive("max-tokens", values.GetValueOrDefault("max-tokens", "64")),
            values.GetValueOrDefault("prompt", "Summarise the state of the crypto market today in a few sentences."),
            values.GetValueOrDefault("api-key") ?? Environment.GetEnvironmentVariable("CORTEX1_API_KEY"),
            // 0 (greedy) measures the engine; 1 (OpenAI's default when a client sets none) includes sampling.
            double.TryParse(values.GetValueOrDefault("temperature", "0"), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t is >= 0 and <= 2
                ? t : throw new ArgumentException($"--temperature '{values["temperature"]}' must be a number in [0, 2]."));
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"--{name} '{value}' must be a positive whole number.");
}
