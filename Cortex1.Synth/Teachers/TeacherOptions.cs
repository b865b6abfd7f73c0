namespace Cortex1.Synth.Teachers;

/// <summary>
/// Configuration section <c>Teacher</c>. The defaults follow DeepSeek's guidance for R1: no system
/// prompt, temperature 0.6, top_p 0.95. The API key comes from configuration or an Aspire secret
/// parameter and is never logged.
/// </summary>
public sealed class TeacherOptions
{
    public const string Section = "Teacher";
    public const string OpenRouterUrl = "https://openrouter.ai/api/v1";

    public string BaseUrl { get; set; } = OpenRouterUrl;
    public string Model { get; set; } = "deepseek/deepseek-r1";
    public string? ApiKey { get; set; }

    public float Temperature { get; set; } = 0.6f;
    public float TopP { get; set; } = 0.95f;
    public int MaxOutputTokens { get; set; } = 8192;

    /// <summary>Requests in flight at once.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Requests started per minute, retries included.</summary>
    public int RequestsPerMinute { get; set; } = 30;

    /// <summary>Retries of 408/429/502/503 and network errors; a Retry-After header sets the wait.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First backoff when no Retry-After is given; doubles each retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>One attempt's limit: reasoning models can think for minutes.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public bool HasKey => !string.IsNullOrWhiteSpace(ApiKey);
}
