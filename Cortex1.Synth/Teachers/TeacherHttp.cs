using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Cortex1.Synth.Teachers;

/// <summary>
/// The teacher's HTTP client. ServiceDefaults' standard handler gives every attempt 10 seconds, far
/// too little for a reasoning model, so it is replaced here by: retries on 408/429/502/503 and
/// network errors with exponential backoff and jitter that wait as long as <c>Retry-After</c> says,
/// a per-attempt timeout, and a requests-per-minute limit that every attempt (retries too) passes.
/// </summary>
public static class TeacherHttp
{
    public const string ClientName = "teacher";

    private static readonly HashSet<HttpStatusCode> Transient =
        [HttpStatusCode.RequestTimeout, HttpStatusCode.TooManyRequests, HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable];

    public static IServiceCollection AddTeacherHttpClient(this IServiceCollection services)
    {
        services.AddSingleton<TeacherRateLimit>();
        var client = services.AddHttpClient(ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        // R1 answers take minutes and 408/429/502/503 have their own rules here: replace the default handler.
        client.WithoutDefaultResilience();
        client.AddResilienceHandler("teacher", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptions<TeacherOptions>>().Value;
                // Polly refuses a retry strategy with no retries: MaxRetries 0 means no strategy at all.
                if (o.MaxRetries > 0)
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = o.MaxRetries,
                        Delay = o.RetryBaseDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldRetryAfterHeader = true,
                        ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                        {
                            { Result: { } r } => Transient.Contains(r.StatusCode),
                            { Exception: HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException } => true,
                            _ => false,
                        }),
                    });
                pipeline.AddTimeout(o.AttemptTimeout);
            });
        // Added after the retry handler, so it sits inside it: each attempt takes a slot.
        client.AddHttpMessageHandler(sp => new RequestsPerMinuteHandler(sp.GetRequiredService<TeacherRateLimit>()));
        return services;
    }
}

/// <summary>One sliding one-minute window of <see cref="TeacherOptions.RequestsPerMinute"/> requests, shared by every teacher client.</summary>
public sealed class TeacherRateLimit(IOptions<TeacherOptions> options) : IDisposable
{
    public RateLimiter Limiter { get; } = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
    {
        PermitLimit = Math.Max(1, options.Value.RequestsPerMinute),
        Window = TimeSpan.FromMinutes(1),
        SegmentsPerWindow = 12,
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });

    public void Dispose() => Limiter.Dispose();
}

/// <summary>Every attempt waits for a slot in the shared per-minute window.</summary>
public sealed class RequestsPerMinuteHandler(TeacherRateLimit limit) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using var lease = await limit.Limiter.AcquireAsync(1, ct);
        return await base.SendAsync(request, ct);
    }
}
