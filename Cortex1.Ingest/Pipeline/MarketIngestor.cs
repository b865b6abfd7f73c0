using Cortex1.Domain;
using Cortex1.Data.Market;
using Cortex1.Data.Tracking;
using Cortex1.Ingest.Conditions;
using Cortex1.Ingest.Embedded;
using Cortex1.Ingest.Flipside;
using Cortex1.Ingest.Metrics;
using Cortex1.Ingest.OnChain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cortex1.Ingest.Pipeline;

/// <summary>One step of a long ingest, for the CLI's progress lines and a job's progress column.</summary>
public sealed record IngestProgress(string Stage, int Done, int Total, string Message)
{
    public double Fraction => Total == 0 ? 0 : (double)Done / Total;
    public override string ToString() => $"[{Stage} {Done}/{Total}] {Message}";
}

public delegate Task IngestProgressHandler(IngestProgress progress, CancellationToken ct);

/// <summary>What one ingest wrote.</summary>
public sealed record IngestSummary(IReadOnlyList<string> Chains, DateOnly? From, DateOnly? To, int RawDays, int RowsWritten, int Conditions);

/// <summary>
/// Brings raw days (embedded history or Flipside) into PostgreSQL: merges them with the stored days
/// around them, recomputes derived metrics and labels, and upserts one transaction per chain.
/// </summary>
public sealed partial class MarketIngestor(
    MarketStore store, TrackingStore tracking, FlipsideClient flipside, IOptions<FlipsideOptions> flipsideOptions, ILogger<MarketIngestor> logger)
{
    /// <summary>
    /// The longest look-back of any derived metric (30 log returns need 31 days; 7-day window
    /// growth needs 14). Stored days this far around new ones are read and, after them, rewritten.
    /// </summary>
    public const int LookbackDays = 31;

    public const string FlipsideSource = "flipside";

    public Task<IngestSummary> LoadEmbeddedAsync(IngestProgressHandler? progress = null, CancellationToken ct = default) =>
        StoreAsync(EmbeddedHistory.Load(), progress, ct);

    /// <summary>
    /// Fetches the last <paramref name="days"/> complete days of each chain from Flipside. Without a
    /// key this throws <see cref="FlipsideNotConfiguredException"/>: there is no fallback data.
    /// </summary>
    public async Task<IngestSummary> FetchAsync(int days, IReadOnlyList<string> chains, IngestProgressHandler? progress = null, CancellationToken ct = default)
    {
        if (!flipsideOptions.Value.HasKey) throw new FlipsideNotConfiguredException();
        var queries = chains.Select(ChainQueries.Get).ToList(); // unknown chains fail before any query runs
        var sql = queries.Select(q => ChainQueries.Sql(q, days)).ToList();

        var fetched = new List<MarketSeries>();
        for (var i = 0; i < queries.Count; i++)
        {
            var chain = queries[i].Chain;
            await Report(progress, new("fetch", i, queries.Count, $"{chain}: querying Flipside for {days} days"), ct);
            var status = new Progress<string>(m => LogQueryStatus(logger, chain, m));
            var result = await flipside.RunAsync(sql[i], status, ct);
            var rows = ChainQueries.ToDays(chain, result.Rows, FlipsideSource);
            fetched.Add(new MarketSeries(chain, rows));
            await Report(progress, new("fetch", i + 1, queries.Count, $"{chain}: {rows.Count} days"), ct);
        }
        return await StoreAsync([.. fetched.Where(s => s.Days.Count > 0)], progress, ct);
    }

    /// <summary>Merges, derives, labels and upserts <paramref name="incoming"/> (raw metrics only).</summary>
    public async Task<IngestSummary> StoreAsync(IReadOnlyList<MarketSeries> incoming, IngestProgressHandler? progress = null, CancellationToken ct = default)
    {
        if (incoming.Count == 0 || incoming.All(s => s.Days.Count == 0))
            return new IngestSummary([], null, null, 0, 0, 0);

        var first = incoming.Where(s => s.Days.Count > 0).Min(s => s.Start);
        var last = incoming.Where(s => s.Days.Count > 0).Max(s => s.End);
        var readFrom = first.AddDays(-LookbackDays);
        var writeTo = last.AddDays(LookbackDays);

        // Every chain in the window takes part: correlations pair each chain with every other.
        var chains = (await store.GetChainsAsync(ct)).Select(c => c.Chain)
            .Union(incoming.Select(s => s.Chain)).Order(StringComparer.Ordinal).ToList();
        var window = new List<MarketSeries>();
        foreach (var chain in chains)
        {
            var stored = await store.GetDaysAsync(chain, readFrom, writeTo, ct);
            window.Add(Merge(stored, incoming.Where(s => s.Chain == chain)));
        }
        await Report(progress, new("derive", 0, 1, $"computing metrics for {chains.Count} chains, {first}…{last}"), ct);
        var derived = DerivedMetrics.Compute(window);
        var conditions = ConditionRules.Label(derived);
        await Report(progress, new("derive", 1, 1, $"{conditions.Count} day labels"), ct);

        // Days before `first` lack their own look-back here, so only [first, writeTo] is rewritten.
        var rows = 0;
        var labels = 0;
        for (var i = 0; i < derived.Count; i++)
        {
            var series = derived[i];
            var raw = incoming.Where(s => s.Chain == series.Chain).SelectMany(s => s.Days).ToList();
            var derivedDays = series.Days
                .Where(d => d.Day >= first)
                .Select(d => new MarketDay(d.Chain, d.Day,
                    d.Metrics.Where(m => DerivedMetrics.IsDerived(m.Key)).ToDictionary(m => m.Key, m => m.Value),
                    MarketStore.DerivedSource))
                .Where(d => d.Metrics.Count > 0);
            var chainLabels = conditions.Where(c => c.Chain == series.Chain && c.Day >= first).ToList();
            var batch = new MarketBatch([.. raw, .. derivedDays], chainLabels);
            if (batch.Days.Count == 0 && chainLabels.Count == 0) continue;

            await Report(progress, new("store", i, derived.Count, $"{series.Chain}: writing {batch.MetricCount:N0} metrics, {chainLabels.Count:N0} labels"), ct);
            rows += await store.UpsertAsync(batch, ct);
            labels += chainLabels.Count;
            await Report(progress, new("store", i + 1, derived.Count, $"{series.Chain}: done"), ct);
        }
        LogStored(logger, incoming.Sum(s => s.Days.Count), rows, first, last);
        await ScoreTrackedForecastsAsync(ct);
        return new IngestSummary([.. incoming.Select(s => s.Chain).Distinct()], first, last,
            incoming.Sum(s => s.Days.Count), rows, labels);
    }

    /// <summary>
    /// Scores the tracked forecasts (Cortex1.Data's <see cref="TrackingStore"/>) that the closes just stored make due.
    /// The days are stored by then, so a scoring failure is logged, not the ingest's: the next ingest or the Trainer's
    /// <c>track score</c> scores them (scoring is idempotent).
    /// </summary>
    private async Task ScoreTrackedForecastsAsync(CancellationToken ct)
    {
        try
        {
            if (await tracking.ScoreDueAsync(ct) is > 0 and var scored) LogScored(logger, scored);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogScoringFailed(logger, e);
        }
    }

    /// <summary>Stored days overlaid with incoming raw metrics (incoming wins per metric).</summary>
    private static MarketSeries Merge(MarketSeries stored, IEnumerable<MarketSeries> incoming)
    {
        var days = stored.Days.ToDictionary(d => d.Day, d => new Dictionary<string, double>(d.Metrics, StringComparer.Ordinal));
        var sources = stored.Days.ToDictionary(d => d.Day, d => d.Source);
        foreach (var d in incoming.SelectMany(s => s.Days))
        {
            if (!days.TryGetValue(d.Day, out var metrics)) days[d.Day] = metrics = new(StringComparer.Ordinal);
            foreach (var (k, v) in d.Metrics) metrics[k] = v;
            sources[d.Day] = d.Source;
        }
        return new MarketSeries(stored.Chain,
            [.. days.OrderBy(kv => kv.Key).Select(kv => new MarketDay(stored.Chain, kv.Key, kv.Value, sources[kv.Key]))]);
    }

    private static Task Report(IngestProgressHandler? progress, IngestProgress p, CancellationToken ct) =>
        progress?.Invoke(p, ct) ?? Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Flipside {Chain}: {Status}")]
    private static partial void LogQueryStatus(ILogger logger, string chain, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scored {Count} tracked forecast(s) now due")]
    private static partial void LogScored(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scoring the tracked forecasts now due failed; the next ingest or `track score` retries")]
    private static partial void LogScoringFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored {RawDays} raw days ({Rows} rows written) for {First}…{Last}")]
    private static partial void LogStored(ILogger logger, int rawDays, int rows, DateOnly first, DateOnly last);
}
