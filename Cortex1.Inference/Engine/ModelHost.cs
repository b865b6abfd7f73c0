using Cortex1.Inference.Validation;
using Cortex1.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cortex1.Inference.Engine;

/// <summary>
/// Holds the served model once it is loaded. Until then requests get 503 with Retry-After and
/// <c>/health</c> reports why (loading, waiting for storage, or the load error).
/// </summary>
public sealed class ModelHost : IHealthCheck, IDisposable
{
    private volatile LanguageModel? _model;
    private volatile string _state = "starting";

    /// <summary>The id clients send as <c>model</c> for the base model.</summary>
    public string? Name { get; private set; }

    public DateTimeOffset LoadedAt { get; private set; }

    public bool IsReady => _model is not null;

    public string State => _state;

    /// <summary>The model, or a 503 <see cref="ApiException"/> while there is none.</summary>
    public LanguageModel Model => _model ?? throw ApiException.ModelLoading(_state);

    internal void Report(string state) => _state = state;

    internal void Loaded(LanguageModel model, string name)
    {
        Name = name;
        LoadedAt = DateTimeOffset.UtcNow;
        _state = "ready";
        _model = model;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(IsReady ? HealthCheckResult.Healthy($"serving {Name}") : HealthCheckResult.Unhealthy($"model: {_state}"));

    public void Dispose() => _model?.Dispose();
}
