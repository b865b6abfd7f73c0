using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Logs the service's health when it changes, at the level it deserves. ASP.NET's health check service logs every
/// unhealthy result of every probe as an error, so a service that is merely starting (migrations running, a model
/// loading) filled the dashboard with error badges on a healthy start. Its own log is therefore silenced, and this
/// writer of <c>/health</c> says instead: "starting" at Information until the service is first healthy, a check that
/// fails after that as an Error (with its exception), and the recovery.
/// </summary>
public sealed partial class HealthLogging(ILogger<HealthLogging> logger)
{
    /// <summary>The category of ASP.NET's per-probe health logging, silenced in favour of this.</summary>
    public const string HealthCheckServiceCategory = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    private readonly object _gate = new();
    private bool _wasHealthy;
    private string? _last;

    public Task WriteAsync(HttpContext context, HealthReport report)
    {
        Observe(report);
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(report.Status.ToString());
    }

    /// <summary>Logs the report when it differs from the previous one.</summary>
    public void Observe(HealthReport report)
    {
        var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
            .Select(e => $"{e.Key}: {e.Value.Description ?? e.Value.Exception?.Message ?? e.Value.Status.ToString()}").ToList();
        var summary = string.Join("; ", failing);
        lock (_gate)
        {
            if (summary == _last) return;
            _last = summary;
            if (report.Status == HealthStatus.Healthy)
            {
                if (_wasHealthy) LogRecovered(logger);
                else LogHealthy(logger);
                _wasHealthy = true;
            }
            else if (!_wasHealthy) LogStarting(logger, summary);
            else
            {
                var error = report.Entries.Values.Select(e => e.Exception).FirstOrDefault(e => e is not null);
                LogUnhealthy(logger, error, report.Status, summary);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting: {Checks}")]
    private static partial void LogStarting(ILogger logger, string checks);

    [LoggerMessage(Level = LogLevel.Information, Message = "Healthy")]
    private static partial void LogHealthy(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Healthy again")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Status}: {Checks}")]
    private static partial void LogUnhealthy(ILogger logger, Exception? error, HealthStatus status, string checks);
}
