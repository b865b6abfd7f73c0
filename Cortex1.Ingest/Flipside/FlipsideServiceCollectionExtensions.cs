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
        // Flipside's polling needs a longer total timeout than the service default: replace it.
        var http = services.AddHttpClient<FlipsideClient>().WithoutDefaultResilience();
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
