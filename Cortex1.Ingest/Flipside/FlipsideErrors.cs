namespace Cortex1.Ingest.Flipside;

/// <summary>Any failure talking to Flipside. <see cref="IsPermanent"/>: retrying later will not help.</summary>
public class FlipsideException(string message, Exception? inner = null) : Exception(message, inner)
{
    public virtual bool IsPermanent => false;
}

/// <summary>No API key configured: fetching is refused rather than answered with invented data.</summary>
public sealed class FlipsideNotConfiguredException() : FlipsideException(
    "Flipside:ApiKey is not set. Set it (user secret, environment variable Flipside__ApiKey, or the AppHost's " +
    "flipside-api-key parameter) to fetch on-chain data, or use 'load-embedded' for the bundled 2018–2021 history.")
{
    public override bool IsPermanent => true;
}

/// <summary>HTTP 401/403: the key is missing, wrong or lacks access. Not retried.</summary>
public sealed class FlipsideAuthenticationException(int status) : FlipsideException(
    $"Flipside rejected the API key (HTTP {status}). Check Flipside:ApiKey; the request was not retried.")
{
    public int Status => status;
    public override bool IsPermanent => true;
}

/// <summary>A non-success HTTP status that survived the resilience handler's retries.</summary>
public sealed class FlipsideHttpException(int status, string body)
    : FlipsideException($"Flipside answered HTTP {status}: {body}")
{
    public int Status => status;
}

/// <summary>A JSON-RPC error object. Known codes get their own subclasses (see <see cref="From"/>).</summary>
public class FlipsideRpcException(int code, string message, string? data)
    : FlipsideException($"Flipside JSON-RPC error {code}: {message}{(data is null ? "" : $" ({data})")}")
{
    /// <summary>The query run has not finished, so its results cannot be read yet.</summary>
    public const int QueryRunNotFinished = -32151;

    /// <summary>The account runs too many queries at once.</summary>
    public const int TooManyConcurrentQueries = -32171;

    public int Code => code;
    public string RpcMessage => message;

    // Standard JSON-RPC codes for a malformed request mean our code is wrong: retrying won't help.
    public override bool IsPermanent => code is -32600 or -32601 or -32602;

    public static FlipsideRpcException From(int code, string message, string? data) => code switch
    {
        QueryRunNotFinished => new FlipsideQueryNotFinishedException(message, data),
        TooManyConcurrentQueries => new FlipsideTooManyQueriesException(message, data),
        _ => new FlipsideRpcException(code, message, data),
    };
}

public sealed class FlipsideQueryNotFinishedException(string message, string? data)
    : FlipsideRpcException(QueryRunNotFinished, message, data);

public sealed class FlipsideTooManyQueriesException(string message, string? data)
    : FlipsideRpcException(TooManyConcurrentQueries, message, data);

/// <summary>The run ended in QUERY_STATE_FAILED or QUERY_STATE_CANCELED; carries Flipside's error name and message.</summary>
public sealed class FlipsideQueryFailedException(string queryRunId, string state, string? errorName, string? errorMessage)
    : FlipsideException($"Flipside query run {queryRunId} ended in {state}: {errorName ?? "no error name"}: {errorMessage ?? "no message"}")
{
    public string QueryRunId => queryRunId;
    public string State => state;
    public string? ErrorName => errorName;
    public string? ErrorMessage => errorMessage;

    // A failed SQL statement fails again; a canceled run may be rerun.
    public override bool IsPermanent => state == FlipsideClient.StateFailed;
}
