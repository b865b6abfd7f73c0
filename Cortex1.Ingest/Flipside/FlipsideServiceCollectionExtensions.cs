using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Cortex1.Ingest.Flipside;

public static class FlipsideServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FlipsideClient"/> with its own standard resilience handler in place of the
    /// service default: retries 429/5xx with exponential backoff honouring Retry-After (401/403 are
    /// not retried: the standard handler treats them as final), and a total timeout long enough for
    /// Retry-After waits. Polling is a sequence of separate calls, each under these limits.
    /// </summary>
    public static IServiceCollection AddFlipsideClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FlipsideOptions>().Bind(configuration.GetSection(FlipsideOptions.Section));
        // ServiceDefaults put a standard handler on every client; stacking a second one would multiply
        // retries and keep the default 30 s total timeout, so this client replaces it. The API is
        // marked experimental (EXTEXP0001) but is the documented way to do exactly this.
#pragma warning disable EXTEXP0001
        var http = services.AddHttpClient<FlipsideClient>().RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        http.AddStandardResilienceHandler()
            .Configure((HttpStandardResilienceOptions o, IServiceProvider sp) =>
            {
                var f = sp.GetRequiredService<IOptions<FlipsideOptions>>().Value;
                o.Retry.MaxRetryAttempts = f.MaxRetryAttempts;
                o.Retry.Delay = f.RetryBaseDelay;
                o.Retry.BackoffType = Polly.DelayBackoffType.Exponential;
                o.Retry.ShouldRetryAfterHeader = true;
                o.Retry.MaxDelay = TimeSpan.FromMinutes(2);
                o.AttemptTimeout.Timeout = f.AttemptTimeout;
                o.TotalRequestTimeout.Timeout = f.TotalRequestTimeout;
                // The breaker's window must span at least two attempts (options validation).
                o.CircuitBreaker.SamplingDuration = f.AttemptTimeout * 2;
            });
        return services;
    }
}
