using Cortex1.Inference.OpenAi;
using Cortex1.Inference.Telemetry;
using System.Text.Json;

namespace Cortex1.Inference.Validation;

/// <summary>
/// Every failure of a request becomes OpenAI's error object: <see cref="ApiException"/>s with their
/// status, Kestrel's bad-request errors (413 body too large, …) with theirs, routing misses (404/405)
/// as invalid_request_error, and anything unexpected as a logged 500 that keeps the process alive.
/// </summary>
public sealed partial class OpenAiErrorMiddleware(RequestDelegate next, ILogger<OpenAiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http, InferenceTelemetry telemetry)
    {
        try
        {
            await HandleAsync(http);
        }
        finally
        {
            if (http.Response.StatusCode >= 400 && http.Items.TryGetValue(ErrorCodeKey, out var code))
                telemetry.Rejections.Add(1, new KeyValuePair<string, object?>("http.response.status_code", http.Response.StatusCode),
                    new KeyValuePair<string, object?>("error.code", code));
        }
    }

    private const string ErrorCodeKey = "cortex1.error_code";

    private async Task HandleAsync(HttpContext http)
    {
        try
        {
            RequestHeaders.Check(http.Request);
            await next(http);
            // Routing's own 404 (no route) and 405 (route, other method) come without a body; give them one.
            if (http.Response is { HasStarted: false, StatusCode: 404 or 405, ContentType: null })
                await WriteAsync(http, RouteMiss(http));
        }
        catch (ApiException e)
        {
            await WriteAsync(http, e);
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(http, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ApiException.PayloadTooLarge(null)
                : new ApiException(e.StatusCode, e.Message, "invalid_request_error"));
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception e)
        {
            LogUnhandled(logger, e, http.Request.Method, http.Request.Path);
            await WriteAsync(http, new ApiException(StatusCodes.Status500InternalServerError,
                "The server had an error while processing your request.", "server_error"));
        }
    }

    private static ApiException RouteMiss(HttpContext http) =>
        http.Response.StatusCode == 405
            ? new ApiException(405, $"Method {http.Request.Method} is not allowed on {http.Request.Path}.", "invalid_request_error")
            : new ApiException(404, $"Unknown request URL: {http.Request.Method} {http.Request.Path}.", "invalid_request_error", null, "unknown_url");

    public static async Task WriteAsync(HttpContext http, ApiException error)
    {
        if (http.Response.HasStarted)
            return; // A stream already sent its headers; the stream writer reports errors in-band.
        http.Response.Clear();
        http.Response.StatusCode = error.StatusCode;
        http.Items[ErrorCodeKey] = error.Code ?? error.Type;
        if (error.RetryAfter is { } retry)
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, error.ToResponse(), OpenAiJson.Default.ErrorResponse, http.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception e, string method, string path);
}
