using Cortex1.Data.Market;
using Cortex1.Data.Storage;
using Cortex1.Domain;
using Cortex1.Evaluation;
using Cortex1.Evaluation.Scoring;
using Cortex1.Rewards;

namespace Cortex1.Trainer.Evaluation;

/// <summary>What one evaluation produced: its stored id, the per-answer results, the summary and where the report is.</summary>
public sealed record EvalOutcome(long Id, IReadOnlyList<AnswerResult> Results, EvalSummary Summary, string ReportPrefix,
    IReadOnlyList<(string Name, byte[] Content)> Files);

/// <summary>
/// One evaluation: read the split's prompts from blob storage, ask the model for each (a few at a time, in order),
/// score every answer (reward, forecasts against the closes PostgreSQL holds after each window, baselines, backtest),
/// store the run and its answers, and publish the report to <c>reports/eval/{id}/</c>.
/// </summary>
public sealed class EvalRunner(BlobStore blobs, MarketStore market, EvalStore store, RewardSystem rewards)
{
    /// <summary>Realised data is read this many days past the last window: longer horizons than this are not scored.</summary>
    public const int MaxHorizonDays = 400;

    public static string SplitBlob(string dataset, string version, string split) => DatasetPaths.Split(dataset, version, split);

    public async Task<IReadOnlyList<TrainingExample>> ReadSplitAsync(string dataset, string version, string split, CancellationToken ct)
    {
        var text = await blobs.DownloadTextAsync(BlobContainers.Datasets, SplitBlob(dataset, version, split), ct);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(DatasetJson.FromLine)];
    }

    public async Task<EvalOutcome> RunAsync(EvalRequest request, IAnswerSource source, int concurrency, Action<string> progress, CancellationToken ct)
    {
        var examples = await ReadSplitAsync(request.Dataset, request.Version, request.Split, ct);
        if (examples.Count == 0) throw new InvalidDataException($"{BlobContainers.Datasets}/{SplitBlob(request.Dataset, request.Version, request.Split)} holds no examples.");
        var prices = await RealisedAsync(examples, ct);
        var evaluator = new Evaluator(rewards, new EvalSettings(request.CostBps));

        var results = new AnswerResult[examples.Count];
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, examples.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = ct }, async (i, token) =>
            {
                var ex = examples[i];
                var answer = await source.AnswerAsync(ex, token);
                var r = evaluator.Score(new EvalAnswer(ex, answer), prices);
                results[i] = r;
                var n = Interlocked.Increment(ref done);
                progress($"[{n}/{examples.Count}] {ex.Id}: reward {r.Reward.Total:0.000}, {r.Usable} usable forecast(s), {r.Model.Count} scored, " +
                         $"trade {(r.Strategy is { } t ? $"{t.TotalReturn:+0.00%;-0.00%;0.00%}" : "n/a")}");
            });

        var summary = evaluator.Summarise(results);
        var id = await store.InsertAsync(request, summary, results, ReportPrefix, ct);
        var prefix = ReportPrefix(id);
        var files = EvalReport.Files(id, request, summary, results);
        foreach (var (name, content) in files)
            await blobs.UploadAsync(BlobContainers.Reports, $"eval/{id}/{name}", new MemoryStream(content), ct);
        return new EvalOutcome(id, results, summary, prefix, files);
    }

    public static string ReportPrefix(long id) => $"{BlobContainers.Reports}/eval/{id}";

    /// <summary>Every stored close of the chains the prompts name, from the first window's start to well past the last one's end.</summary>
    private async Task<PriceHistory> RealisedAsync(IReadOnlyList<TrainingExample> examples, CancellationToken ct)
    {
        var windows = examples.SelectMany(e => e.Market.Series).ToList();
        var from = windows.Min(s => s.Start);
        var to = windows.Max(s => s.End).AddDays(MaxHorizonDays);
        var series = new List<MarketSeries>(windows);
        foreach (var chain in windows.Select(s => s.Chain).Distinct())
            series.Add(await market.GetDaysAsync(chain, from, to, ct));
        return new PriceHistory(series);
    }
}
