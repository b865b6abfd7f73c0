using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cortex1.AppHost.Pipeline;

/// <summary>The pipeline as a resource of its own under the Trainer: its state and each stage's, as the dashboard shows them.</summary>
public sealed class PipelineResource(string name) : Resource(name);

/// <summary>
/// Polls the Trainer's <c>GET /api/pipeline</c> and shows it on the <see cref="PipelineResource"/>: the state column
/// names the running stage and its progress, the properties each stage's state, message and error, and the served model.
/// The AppHost only reads the Trainer's public API; the services themselves never call each other.
/// </summary>
public sealed partial class PipelineStatusPublisher(
    PipelineResource pipeline, IResourceWithEndpoints trainer, ResourceNotificationService notifications,
    ILogger<PipelineStatusPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await notifications.WaitForResourceHealthyAsync(trainer.Name, stoppingToken);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var url = new Uri(new Uri(trainer.GetEndpoint("http").Url), "/api/pipeline");
            string? last = null;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var view = await http.GetFromJsonAsync<JsonElement>(url, stoppingToken);
                    var text = view.GetRawText();
                    if (text != last)
                    {
                        await notifications.PublishUpdateAsync(pipeline, s => Snapshot(s, view));
                        last = text;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !stoppingToken.IsCancellationRequested)
                {
                    LogPollFailed(logger, e.Message);
                }
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The dashboard's view of one <c>GET /api/pipeline</c> answer.</summary>
    public static CustomResourceSnapshot Snapshot(CustomResourceSnapshot s, JsonElement view)
    {
        var state = view.GetProperty("state").GetString() ?? "waiting";
        var stages = view.GetProperty("stages").EnumerateArray().ToList();
        var current = stages.FirstOrDefault(st => st.GetProperty("state").GetString() is "running" or "failed");
        var label = state switch
        {
            "running" when current.ValueKind == JsonValueKind.Object =>
                $"{current.GetProperty("name").GetString()} {Percent(current.GetProperty("progress").GetDouble())}",
            "failed" when current.ValueKind == JsonValueKind.Object => $"failed at {current.GetProperty("name").GetString()}",
            var other => other,
        };
        var style = state switch
        {
            "done" => KnownResourceStateStyles.Success,
            "failed" => KnownResourceStateStyles.Error,
            _ => KnownResourceStateStyles.Info,
        };
        var properties = new List<ResourcePropertySnapshot> { new("pipeline.state", state) };
        if (view.TryGetProperty("servedModel", out var served) && served.ValueKind == JsonValueKind.String)
            properties.Add(new("pipeline.servedModel", served.GetString()));
        foreach (var stage in stages)
        {
            var name = stage.GetProperty("name").GetString();
            var line = $"{stage.GetProperty("state").GetString()} ({Percent(stage.GetProperty("progress").GetDouble())})";
            if (stage.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) line += $": {m.GetString()}";
            if (stage.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String) line += $" — {e.GetString()}";
            properties.Add(new($"stage.{name}", line));
        }
        return s with { State = new ResourceStateSnapshot(label, style), Properties = [.. properties] };
    }

    private static string Percent(double fraction) => FormattableString.Invariant($"{fraction * 100:0}%");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the pipeline's state failed: {Error}")]
    private static partial void LogPollFailed(ILogger logger, string error);
}
