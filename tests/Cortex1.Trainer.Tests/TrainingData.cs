using Cortex1.Domain;
using Cortex1.Data.Storage;

namespace Cortex1.Trainer.Tests;

/// <summary>A two-example data set in blob storage, shaped like Synth's output, for training runs.</summary>
public static class TrainingData
{
    /// <summary>Uploads <c>datasets/{name}/v1/train.jsonl</c> (and, unless told not to, a two-prompt <c>eval.jsonl</c>)
    /// under a fresh name and returns the name.</summary>
    public static async Task<string> UploadAsync(BlobStore blobs, bool evalSplit = true)
    {
        var dataset = $"t{Guid.NewGuid():N}"[..16];
        await UploadAsync(blobs, dataset, "v1", evalSplit);
        return dataset;
    }

    /// <summary>The same two-example data set under a given name and version.</summary>
    public static async Task UploadAsync(BlobStore blobs, string dataset, string version, bool evalSplit = true)
    {
        var lines = Enumerable.Range(0, 2).Select(i => DatasetJson.ToLine(Example(i)));
        await blobs.UploadTextAsync(BlobContainers.Datasets, $"{dataset}/{version}/train.jsonl", string.Join('\n', lines) + "\n");
        if (evalSplit)
            await blobs.UploadTextAsync(BlobContainers.Datasets, $"{dataset}/{version}/eval.jsonl",
                string.Join('\n', Enumerable.Range(10, 2).Select(i => DatasetJson.ToLine(Example(i)))) + "\n");
    }

    private static TrainingExample Example(int i)
    {
        var days = Enumerable.Range(0, 5).Select(d => new MarketDay("bitcoin", new DateOnly(2021, 1, 1).AddDays(d),
            new Dictionary<string, double> { [MetricNames.CloseUsd] = 30000 + 500 * d + i }, "embedded")).ToList();
        return new TrainingExample($"ex{i}", TaskKind.MarketAnalysis, MarketCondition.Bull, "bitcoin", days[0].Day, days[^1].Day,
            "offline-analyst", "Analyse [close_usd] for bitcoin.", "Closes rose each day.", "## Summary\nBitcoin rose.",
            new MarketContext([new MarketSeries("bitcoin", days)]), new ExampleReward(0.8, 1, null, new Dictionary<string, double>()),
            new Dictionary<string, string>());
    }
}
