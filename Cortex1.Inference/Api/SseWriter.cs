using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Cortex1.Inference.OpenAi;
using Microsoft.AspNetCore.Http.Features;

namespace Cortex1.Inference.Api;

/// <summary>
/// Server-sent events as OpenAI sends them: <c>data: {json}\n\n</c> per chunk, flushed at once,
/// and <c>data: [DONE]\n\n</c> at the end.
/// </summary>
public sealed class SseWriter(HttpResponse response)
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Suffix = "\n\n"u8.ToArray();

    public async Task StartAsync(CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // Proxies must not hold tokens back.
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(ct);
    }

    public Task WriteAsync<T>(T chunk, JsonTypeInfo<T> type, CancellationToken ct) =>
        WriteDataAsync(JsonSerializer.SerializeToUtf8Bytes(chunk, type), ct);

    /// <summary>An error after the stream began: the error object in-band, as OpenAI does.</summary>
    public Task WriteErrorAsync(ErrorResponse error, CancellationToken ct) =>
        WriteAsync(error, OpenAiJson.Default.ErrorResponse, ct);

    public Task DoneAsync(CancellationToken ct) => WriteDataAsync(Encoding.ASCII.GetBytes("[DONE]"), ct);

    private async Task WriteDataAsync(byte[] data, CancellationToken ct)
    {
        var writer = response.BodyWriter;
        writer.Write(Prefix);
        writer.Write(data);
        writer.Write(Suffix);
        await writer.FlushAsync(ct);
    }
}
