using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cortex1.Inference.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Cortex1.Inference.Tests;

/// <summary>Reads a server-sent-event response the way a client library does: every <c>data:</c> payload, in order.</summary>
public static class Sse
{
    public static async Task<HttpResponseMessage> OpenAsync(HttpClient http, string path, object body, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>All data payloads; asserts the stream's framing (<c>data: …</c> then a blank line) on the way.</summary>
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response)
    {
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        foreach (var e in events) Assert.StartsWith("data: ", e);
        return events.Select(e => e["data: ".Length..]).ToList();
    }

    public static async Task<List<string>> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await OpenAsync(http, path, body);
        Assert.Equal(200, (int)response.StatusCode);
        return await ReadAllAsync(response);
    }
}

public static class Streams
{
    /// <summary>Reads SSE lines until the first chunk that carries generated text (the sequence is then decoding).</summary>
    public static async Task ReadUntilFirstTokenAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("data: {", StringComparison.Ordinal) && !line.Contains("\"role\"", StringComparison.Ordinal)
                && (line.Contains("\"content\":\"", StringComparison.Ordinal) || line.Contains("\"reasoning_content\":\"", StringComparison.Ordinal)))
                return;
        throw new InvalidOperationException("The stream ended before any token.");
    }
}

/// <summary>Collects what one server's "Cortex1.Inference" instruments record (other servers in the process are ignored).</summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();

    public MetricRecorder(InferenceServer server)
    {
        var factory = server.App.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == InferenceTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, factory))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags) copy[tag.Key] = tag.Value;
        _measurements.Enqueue((instrument.Name, value, copy));
    }

    public IReadOnlyList<double> Values(string instrument, string? tag = null, object? tagValue = null) =>
        _measurements.Where(m => m.Instrument == instrument && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), tagValue)))
            .Select(m => m.Value).ToList();

    public void Dispose() => _listener.Dispose();
}
