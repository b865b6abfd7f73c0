using System.Security.Cryptography;
using System.Text;
using Cortex1.Inference.Engine;
using Cortex1.Inference.Validation;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Auth;

/// <summary>
/// When <c>Inference:ApiKey</c> is set, every <c>/v1</c> request must carry
/// <c>Authorization: Bearer KEY</c> (what OpenAI's SDKs send), and so must a Prometheus scrape of
/// <c>/metrics</c> (its <c>authorization</c> setting sends the same header); health probes stay open.
/// The comparison takes the same time whatever the key sent, so it leaks nothing by timing.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<InferenceOptions> options)
{
    private readonly byte[]? _key = string.IsNullOrEmpty(options.Value.ApiKey) ? null : Encoding.UTF8.GetBytes(options.Value.ApiKey);

    public Task InvokeAsync(HttpContext http)
    {
        if (_key is null || !(http.Request.Path.StartsWithSegments("/v1") || http.Request.Path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.PrometheusPath)))
            return next(http);
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var sent = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
        if (sent is null || !Matches(sent))
            throw ApiException.Unauthorized(keySent: !string.IsNullOrEmpty(sent));
        return next(http);
    }

    private bool Matches(string sent) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(sent)), SHA256.HashData(_key!));
}
