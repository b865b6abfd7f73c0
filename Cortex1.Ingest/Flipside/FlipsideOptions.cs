namespace Cortex1.Ingest.Flipside;

/// <summary>Configuration section <c>Flipside</c>. Only <see cref="ApiKey"/> has no default.</summary>
public sealed class FlipsideOptions
{
    public const string Section = "Flipside";

    /// <summary>The API key (an Aspire secret parameter or user secret). Never logged.</summary>
    public string? ApiKey { get; set; }

    public Uri BaseUrl { get; set; } = new("https://api-v2.flipsidecrypto.xyz");

    /// <summary>How long Flipside keeps a run's results.</summary>
    public int ResultTtlHours { get; set; } = 1;

    /// <summary>Flipside may answer from a cached run of the same SQL up to this old (it then redirects to that run).</summary>
    public int MaxAgeMinutes { get; set; } = 60;

    public int PageSize { get; set; } = 1000;

    /// <summary>First wait between <c>getQueryRun</c> polls; doubles up to <see cref="PollMaxDelay"/>.</summary>
    public TimeSpan PollInitialDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan PollMaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one query may take, from creation to its last result page.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>Base delay of the HTTP retry backoff on 429/5xx when no Retry-After is given.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>One HTTP attempt; result pages can take a while to stream.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// One JSON-RPC call including its retries and their Retry-After waits. Each poll is its own
    /// call, so this bounds a call, not the whole query (that is <see cref="QueryTimeout"/>).
    /// </summary>
    public TimeSpan TotalRequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public bool HasKey => !string.IsNullOrWhiteSpace(ApiKey);
}
