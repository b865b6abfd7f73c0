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
    private readonly TaskCompletionSource<bool> _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The id clients send as <c>model</c> for the base model.</summary>
    public string? Name { get; private set; }

    public DateTimeOffset LoadedAt { get; private set; }

    public bool IsReady => _model is not null;

    /// <summary>True once the model is loaded, false once loading failed (<see cref="State"/> says why).</summary>
    public Task<bool> Settled => _settled.Task;

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
        _settled.TrySetResult(true);
    }

    internal void Failed(string message)
    {
        _state = $"failed: {message}";
        _settled.TrySetResult(false);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(IsReady ? HealthCheckResult.Healthy($"serving {Name}") : HealthCheckResult.Unhealthy($"model: {_state}"));

    public void Dispose() => _model?.Dispose();
}
