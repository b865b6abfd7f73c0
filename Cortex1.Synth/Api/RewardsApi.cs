using System.Text.Json;
using System.Text.Json.Nodes;
using Cortex1.Domain;
using Cortex1.Rewards;
using Npgsql;

namespace Cortex1.Synth.Api;

/// <summary>
/// <c>POST /api/rewards/score</c>: Cortex1's rewards for an external GRPO engine (TRL, verl, OpenRLHF). A batch of
/// completions, each with its task kind and market context, or with the data-set example it answers (the context is
/// then read from the generation store), comes back as one breakdown per completion, in order.
/// A malformed item gets its own error (status 400, or 404 for an unknown example) and the others are still scored:
/// a trainer scoring a GRPO group must not lose every reward to one bad completion. Only a body that is not a batch
/// (not JSON, no <c>items</c> array, empty, or over <see cref="MaxBatch"/> items) is a whole-batch 400.
/// </summary>
public static class RewardsApi
{
    /// <summary>Items per request: a few GRPO steps' completions; a larger batch is split by the caller.</summary>
    public const int MaxBatch = 1024;

    public static IEndpointRouteBuilder MapRewardsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/rewards/score", Score).WithTags("Rewards");
        return app;
    }

    private static async Task<IResult> Score(HttpRequest request, RewardSystem rewards, NpgsqlDataSource db, CancellationToken ct)
    {
        JsonNode? body;
        try { body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct); }
        catch (JsonException e) { return BadBatch($"The body is not JSON: {e.Message}"); }
        if (body is not JsonObject { } envelope || envelope["items"] is not JsonArray items)
            return BadBatch("Send {\"items\": [{\"completion\": …, \"kind\": …, \"market\": …} or {\"completion\": …, \"dataset\": …, \"version\": …, \"exampleId\": …}]}.");
        if (items.Count == 0) return BadBatch("items is empty.");
        if (items.Count > MaxBatch) return BadBatch($"At most {MaxBatch} items per request, got {items.Count}: split the batch.");

        var parsed = new RewardItem?[items.Count];
        var results = new object?[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            try { parsed[i] = RewardItem.Parse(items[i] as JsonObject ?? throw new InvalidDataException("an item must be a JSON object")); }
            catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or FormatException)
            {
                results[i] = new ItemError(i, StatusCodes.Status400BadRequest, e.Message);
            }
        }

        var refs = parsed.Where(p => p?.Example is not null).Select(p => p!.Example!).Distinct().ToList();
        var stored = refs.Count == 0 ? [] : await LookUpAsync(db, refs, ct);
        var contexts = new RewardContext?[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            if (parsed[i] is not { } item) continue;
            if (item.Example is { } reference)
            {
                if (!stored.TryGetValue(reference, out var example))
                    results[i] = new ItemError(i, StatusCodes.Status404NotFound,
                        $"no example '{reference.Id}' in data set {reference.Dataset} {reference.Version}");
                else if (item.Kind is { } kind && kind != example.Kind)
                    results[i] = new ItemError(i, StatusCodes.Status400BadRequest, $"kind {kind} does not match the example's kind {example.Kind}");
                else contexts[i] = example;
            }
            else contexts[i] = new RewardContext(item.Market!, item.Kind!.Value);
        }

        // Items of one example share its context instance, so the facts derived from it are computed once per batch.
        Parallel.For(0, items.Count, new ParallelOptions { CancellationToken = ct }, i =>
        {
            if (contexts[i] is not { } context) return;
            var b = rewards.Score(parsed[i]!.Completion, context);
            results[i] = new ItemScore(i, b.Total, b.Penalty, b.PenaltyExplanation, b.Truth, b.TruthExplanation, b.Components);
        });
        int failed = results.Count(r => r is ItemError);
        return TypedResults.Json(new { scored = items.Count - failed, failed, results }, RewardJson.Options);
    }

    private static IResult BadBatch(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid reward batch");

    /// <summary>The task kind and market context of each referenced example, from the examples generation stored.</summary>
    private static async Task<Dictionary<ExampleRef, RewardContext>> LookUpAsync(NpgsqlDataSource db, List<ExampleRef> refs, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT r.dataset, r.version, e.example_key, e.kind, e.example->'market'
            FROM synth_examples e JOIN synth_runs r ON r.id = e.run_id
            WHERE (r.dataset, r.version, e.example_key) IN (SELECT * FROM unnest(@datasets::text[], @versions::text[], @keys::text[]))
            """);
        cmd.Parameters.AddWithValue("datasets", refs.Select(r => r.Dataset).ToArray());
        cmd.Parameters.AddWithValue("versions", refs.Select(r => r.Version).ToArray());
        cmd.Parameters.AddWithValue("keys", refs.Select(r => r.Id).ToArray());
        var found = new Dictionary<ExampleRef, RewardContext>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var market = JsonSerializer.Deserialize<MarketContext>(r.GetString(4), DatasetJson.Options)
                ?? throw new InvalidDataException($"Stored example {r.GetString(2)} has no market context.");
            found[new ExampleRef(r.GetString(0), r.GetString(1), r.GetString(2))] = new RewardContext(market, Enum.Parse<TaskKind>(r.GetString(3)));
        }
        return found;
    }

    private sealed record ItemScore(int Index, double Total, double Penalty, string PenaltyExplanation, double Truth, string TruthExplanation,
        IReadOnlyDictionary<string, ComponentScore> Components);

    private sealed record ItemError(int Index, int Status, string Error);
}

/// <summary>A data-set example by its data set, version and id (the <c>id</c> of its line in <c>train.jsonl</c>).</summary>
public sealed record ExampleRef(string Dataset, string Version, string Id);

/// <summary>
/// One completion to score, as the reward API and <c>rewards score</c> read it: <c>completion</c> (or <c>answer</c>),
/// <c>kind</c> (or <c>task_kind</c>; <c>MarketAnalysis</c> or <c>market_analysis</c>) and <c>market</c> (a serialized
/// <c>MarketContext</c>) — or, instead of the market, <c>dataset</c>, <c>version</c> and <c>exampleId</c>.
/// </summary>
public sealed record RewardItem(string Completion, TaskKind? Kind, MarketContext? Market, ExampleRef? Example)
{
    public static RewardItem Parse(JsonObject node)
    {
        var completion = (node["completion"] ?? node["answer"])?.GetValue<string>()
            ?? throw new InvalidDataException("missing 'completion' (or 'answer')");
        var kindText = (node["kind"] ?? node["task_kind"] ?? node["taskKind"])?.GetValue<string>();
        TaskKind? kind = null;
        if (kindText is not null)
            kind = Enum.TryParse<TaskKind>(kindText.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var k)
                ? k
                : throw new InvalidDataException($"unknown task kind '{kindText}' (one of {string.Join(", ", Enum.GetNames<TaskKind>())})");

        var exampleId = (node["exampleId"] ?? node["example_id"])?.GetValue<string>();
        if (exampleId is not null)
        {
            var dataset = node["dataset"]?.GetValue<string>() ?? throw new InvalidDataException("'exampleId' needs 'dataset' and 'version'");
            var version = node["version"]?.GetValue<string>() ?? throw new InvalidDataException("'exampleId' needs 'dataset' and 'version'");
            return new RewardItem(completion, kind, null, new ExampleRef(dataset, version, exampleId));
        }
        var market = (node["market"] ?? node["market_data"] ?? node["marketData"])?.Deserialize<MarketContext>(RewardJson.Options)
            ?? throw new InvalidDataException("missing 'market' (a MarketContext), or 'dataset', 'version' and 'exampleId' of a data-set example");
        // The scorer trusts its context: a hole in it would be a crash, not a score.
        if (market.Series is not { Count: > 0 } || market.Series.Any(s => s?.Chain is null || s.Days is not { Count: > 0 }
                || s.Days.Any(d => d?.Metrics is null)))
            throw new InvalidDataException("'market' needs series, each with a chain and at least one day with metrics");
        if (kind is null) throw new InvalidDataException("missing 'kind' (or 'task_kind')");
        return new RewardItem(completion, kind, market, null);
    }
}
