using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Cortex1.AppHost.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cortex1.AppHost.Tests;

/// <summary>What the dashboard shows: the pipeline resource's state from <c>GET /api/pipeline</c>, and health logging.</summary>
public class DashboardTests
{
    private const string Running = """
        {"state":"running","servedModel":null,"stages":[
          {"name":"market","state":"done","progress":1,"message":"reused: its output exists","error":null},
          {"name":"train","state":"running","progress":0.4567,"message":"sft step 3/6","error":null},
          {"name":"eval","state":"waiting","progress":0,"message":null,"error":null}]}
        """;

    [Fact]
    public void TheRunningStageAndItsProgressAreThePipelineResourcesState()
    {
        var s = PipelineStatusPublisher.Snapshot(new CustomResourceSnapshot { ResourceType = "Pipeline", Properties = [] },
            JsonDocument.Parse(Running).RootElement);
        Assert.Equal("train 46%", s.State!.Text);
        Assert.Equal(KnownResourceStateStyles.Info, s.State.Style);
        var props = s.Properties.ToDictionary(p => p.Name, p => p.Value?.ToString());
        Assert.Equal("running", props["pipeline.state"]);
        Assert.Equal("done (100%): reused: its output exists", props["stage.market"]);
        Assert.Equal("running (46%): sft step 3/6", props["stage.train"]);
        Assert.False(props.ContainsKey("pipeline.servedModel"));
    }

    [Fact]
    public void AFailedStageIsAnErrorAndADonePipelineNamesItsServedModel()
    {
        var failed = Running.Replace("\"state\":\"running\",\"servedModel\"", "\"state\":\"failed\",\"servedModel\"")
            .Replace("\"state\":\"running\",\"progress\":0.4567,\"message\":\"sft step 3/6\",\"error\":null",
                     "\"state\":\"failed\",\"progress\":0.5,\"message\":null,\"error\":\"out of memory\"");
        var s = PipelineStatusPublisher.Snapshot(new CustomResourceSnapshot { ResourceType = "Pipeline", Properties = [] },
            JsonDocument.Parse(failed).RootElement);
        Assert.Equal(("failed at train", KnownResourceStateStyles.Error), (s.State!.Text, s.State.Style));
        Assert.Contains(s.Properties, p => p.Name == "stage.train" && p.Value?.ToString() == "failed (50%) — out of memory");

        var done = """{"state":"done","servedModel":"cortex1-analyst","stages":[{"name":"serve","state":"done","progress":1,"message":"inference has it","error":null}]}""";
        s = PipelineStatusPublisher.Snapshot(new CustomResourceSnapshot { ResourceType = "Pipeline", Properties = [] }, JsonDocument.Parse(done).RootElement);
        Assert.Equal(("done", KnownResourceStateStyles.Success), (s.State!.Text, s.State.Style));
        Assert.Contains(s.Properties, p => p.Name == "pipeline.servedModel" && p.Value?.ToString() == "cortex1-analyst");
    }

    [Fact]
    public async Task StartingIsInformationOnceAndOnlyAFailureAfterBeingHealthyIsAnError()
    {
        var log = new ListLogger();
        var health = new HealthLogging(log);
        HealthReport Report(HealthStatus status, string? description = null, Exception? e = null) => new(
            new Dictionary<string, HealthReportEntry> { ["storage-ready"] = new(status, description, TimeSpan.Zero, e, null) }, TimeSpan.Zero);

        var context = new DefaultHttpContext { Response = { Body = new MemoryStream() } };
        await health.WriteAsync(context, Report(HealthStatus.Unhealthy, "starting"));
        health.Observe(Report(HealthStatus.Unhealthy, "starting"));   // the next probe, same state: nothing new
        health.Observe(Report(HealthStatus.Healthy));
        health.Observe(Report(HealthStatus.Unhealthy, "connection refused", new IOException("connection refused")));
        health.Observe(Report(HealthStatus.Healthy));

        Assert.Equal(
        [
            (LogLevel.Information, "Starting: storage-ready: starting"),
            (LogLevel.Information, "Healthy"),
            (LogLevel.Error, "Unhealthy: storage-ready: connection refused"),
            (LogLevel.Information, "Healthy again"),
        ], log.Entries);
        context.Response.Body.Position = 0;
        Assert.Equal("Unhealthy", new StreamReader(context.Response.Body).ReadToEnd());   // /health's body is as before
    }

    private sealed class ListLogger : ILogger<HealthLogging>
    {
        public List<(LogLevel, string)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
