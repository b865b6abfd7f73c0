using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Cortex1.Inference.Engine;
using Cortex1.Inference.Telemetry;
using Cortex1.Inference.Validation;
using Cortex1.Model;
using Cortex1.Model.Diagnostics;
using Cortex1.Model.Generation;
using Cortex1.Model.Modeling;
using Microsoft.Extensions.Options;

namespace Cortex1.Inference.Scheduling;

/// <summary>
/// Continuous batching. One loop thread owns the model: between decode steps it runs queued engine
/// commands (adapter load/unload), admits waiting jobs up to <see cref="InferenceOptions.MaxBatchSize"/>
/// (prefilling each), drops cancelled ones, then runs ONE batched <c>DecodeStep</c> for all active
/// sequences (whatever their adapters), so the weights are read once per step however many streams there are.
/// Sequences join and leave between steps. Admission is bounded: past batch slots plus
/// <see cref="InferenceOptions.MaxQueue"/> waiting places, <see cref="Submit"/> refuses with 429.
/// </summary>
public sealed partial class BatchScheduler : IDisposable
{
    private readonly ConcurrentQueue<GenerationJob> _waiting = new();
    private readonly ConcurrentQueue<EngineCommand> _commands = new();
    private readonly List<EngineCommand> _deferred = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly List<RunningJob> _active = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly InferenceOptions _options;
    private readonly InferenceTelemetry _telemetry;
    private readonly ILogger<BatchScheduler> _logger;
    private Thread? _loop;
    private LanguageModel? _model;
    private int _inFlight;

    public BatchScheduler(IOptions<InferenceOptions> options, InferenceTelemetry telemetry, ILogger<BatchScheduler> logger)
    {
        _options = options.Value;
        _telemetry = telemetry;
        _logger = logger;
    }

    /// <summary>Jobs accepted and not yet finished (waiting or decoding).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public int Capacity => _options.MaxBatchSize + _options.MaxQueue;

    /// <summary>Hands the loaded model to the loop and starts it.</summary>
    public void Start(LanguageModel model)
    {
        _model = model;
        _loop = new Thread(Run) { IsBackground = true, Name = "inference-scheduler" };
        _loop.Start();
    }

    /// <summary>
    /// Queues <paramref name="n"/> choices of each prompt as one unit (all or none), or throws a 429
    /// <see cref="ApiException"/> when they do not fit. Choice <c>p·n + i</c> is prompt p's i-th, seeded
    /// with seed + i. The caller reads the events from the returned channel.
    /// </summary>
    public ChannelReader<GenerationEvent> Submit(IReadOnlyList<int[]> prompts, GenerationParams parameters, int n, string? adapter, CancellationToken ct)
    {
        var sequences = prompts.Count * n;
        if (sequences > Capacity)
            throw ApiException.BadRequest(
                $"The request asks for {sequences} sequences (prompts × n); this server runs at most {Capacity} at once.", "n", "invalid_value");
        if (Interlocked.Add(ref _inFlight, sequences) > Capacity)
        {
            Interlocked.Add(ref _inFlight, -sequences);
            throw ApiException.Overloaded(TimeSpan.FromSeconds(1));
        }
        var events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true });
        for (var p = 0; p < prompts.Count; p++)
            for (var i = 0; i < n; i++)
            {
                var sampling = parameters.Sampling with { Seed = parameters.Sampling.Seed + i };
                _waiting.Enqueue(new GenerationJob(p * n + i, prompts[p], parameters with { Sampling = sampling }, adapter, events.Writer, ct));
            }
        _telemetry.QueueDepth.Add(sequences);
        _wake.Release();
        return events.Reader;
    }

    /// <summary>
    /// Runs <paramref name="command"/> on the loop thread between two steps (the model is never used by
    /// two threads). With <paramref name="afterAdapter"/>, it waits until no sequence uses that adapter.
    /// </summary>
    public Task<T> RunOnEngineAsync<T>(Func<LanguageModel, T> command, string? afterAdapter = null)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _commands.Enqueue(new EngineCommand(model =>
        {
            try { done.SetResult(command(model)); }
            catch (Exception e) { done.SetException(e); }
        }, afterAdapter));
        _wake.Release();
        return done.Task;
    }

    private sealed record EngineCommand(Action<LanguageModel> Run, string? AfterAdapter);

    private void RunCommands(LanguageModel model)
    {
        while (_commands.TryDequeue(out var command)) _deferred.Add(command);
        for (var i = 0; i < _deferred.Count; i++)
        {
            var adapter = _deferred[i].AfterAdapter;
            if (adapter is not null && (_active.Any(s => s.Job.Adapter == adapter) || _waiting.Any(j => j.Adapter == adapter)))
                continue;
            _deferred[i].Run(model);
            _deferred.RemoveAt(i--);
        }
    }

    private void Run()
    {
        var model = _model!;
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                RunCommands(model);
                Admit(model);
                if (_active.Count == 0)
                {
                    // Idle: sleep until a job or a command arrives (a deferred command re-checks every second).
                    _wake.Wait(_deferred.Count > 0 ? TimeSpan.FromSeconds(1) : Timeout.InfiniteTimeSpan, token);
                    continue;
                }
                Step(model);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A failed step fails the sequences in it, not the server.
                LogStepFailed(_logger, e, _active.Count);
                foreach (var sequence in _active) sequence.Fail($"The engine failed: {EngineErrors.Summary(e)}");
            }
            Retire();
        }
        foreach (var sequence in _active) sequence.Dispose();
    }

    /// <summary>
    /// Takes waiting jobs into free batch slots and prefills their prompts together in one forward (up to
    /// <see cref="InferenceOptions.MaxPrefillTokens"/>, counted as <see cref="PrefillBudget"/> does), so a burst of
    /// requests reads the weights once, not once each.
    /// </summary>
    private void Admit(LanguageModel model)
    {
        var admitted = new List<RunningJob>();
        var budget = new PrefillBudget(_options.MaxPrefillTokens);
        while (_active.Count + admitted.Count < _options.MaxBatchSize && _waiting.TryPeek(out var next) && budget.Fits(next.PromptTokens))
        {
            _waiting.TryDequeue(out var job);
            _telemetry.QueueDepth.Add(-1);
            if (job!.Cancellation.IsCancellationRequested)
            {
                Release("cancelled");
                continue;
            }
            KvCache cache;
            try
            {
                cache = model.NewCache(job.Adapter);
            }
            catch (KeyNotFoundException e)
            {
                // Unloading waits for queued requests of that adapter, so this is a guard: were it gone, only this
                // request would fail (an exception escaping here would fail every running sequence).
                job.Events.TryWrite(new Failed(job.Choice, e.Message));
                Release("error");
                continue;
            }
            admitted.Add(new RunningJob(job, cache, TokenStream.For(model, job.PromptTokens.Length, job.Parameters.Sampling,
                job.Parameters.MaxTokens, job.Parameters.StopStrings, stopTokens: job.Parameters.IgnoreEos ? [] : null)));
            budget.Add(job.PromptTokens);
            _telemetry.Tokens.Add(job.PromptTokens.Length, new KeyValuePair<string, object?>("token.type", "prompt"));
        }
        if (admitted.Count == 0) return;
        _active.AddRange(admitted);
        try
        {
            var logits = model.Extend(admitted.Select(s => s.Cache).ToList(), admitted.Select(s => s.Job.PromptTokens).ToList());
            _telemetry.PrefillBatchSize.Record(admitted.Count);
            for (var i = 0; i < admitted.Count; i++)
            {
                admitted[i].Advance(logits[i]);
                _telemetry.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(admitted[i].Job.EnqueuedAt).TotalSeconds);
            }
        }
        catch (Exception e)
        {
            LogPrefillFailed(_logger, e, budget.Tokens, admitted.Count);
            foreach (var sequence in admitted) sequence.Fail($"The engine failed on the prompt: {EngineErrors.Summary(e)}");
        }
    }

    private void Step(LanguageModel model)
    {
        foreach (var sequence in _active)
            if (sequence.Job.Cancellation.IsCancellationRequested && !sequence.Done)
                sequence.Cancel();

        // One forward for every running sequence; each cache names its own adapter.
        var batch = _active.Where(s => !s.Done).ToList();
        if (batch.Count == 0) return;
        var logits = model.DecodeStep(batch.Select(s => s.Cache).ToList(), batch.Select(s => s.LastToken).ToList());
        _telemetry.BatchSize.Record(batch.Count);
        for (var i = 0; i < batch.Count; i++)
            batch[i].Advance(logits[i]);
    }

    /// <summary>Removes finished sequences, freeing their caches and their places.</summary>
    private void Retire()
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var sequence = _active[i];
            if (!sequence.Done) continue;
            _active.RemoveAt(i);
            sequence.Dispose();
            RecordFinished(sequence);
            Release(sequence.FinishReason!);
        }
    }

    private void RecordFinished(RunningJob sequence)
    {
        _telemetry.Tokens.Add(sequence.Generated, new KeyValuePair<string, object?>("token.type", "completion"));
        var decoding = Stopwatch.GetElapsedTime(sequence.FirstTokenAt).TotalSeconds;
        if (sequence.Generated > 1 && decoding > 0)
            _telemetry.TokensPerSecond.Record((sequence.Generated - 1) / decoding);
    }

    private void Release(string outcome)
    {
        Interlocked.Decrement(ref _inFlight);
        _telemetry.Sequences.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _loop?.Join(TimeSpan.FromSeconds(10));
        _stopping.Dispose();
        _wake.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Decode step failed for {Count} sequences")]
    private static partial void LogStepFailed(ILogger logger, Exception e, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Prefill failed for {Count} prompts of {Tokens} distinct tokens in all")]
    private static partial void LogPrefillFailed(ILogger logger, Exception e, int tokens, int count);
}
