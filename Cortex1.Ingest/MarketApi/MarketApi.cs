using Cortex1.Data.Market;

namespace Cortex1.Ingest.MarketApi;

public sealed record DayDto(DateOnly Day, string Source, IReadOnlyDictionary<string, double> Metrics);
public sealed record DaysDto(string Chain, DateOnly From, DateOnly To, IReadOnlyList<DayDto> Days);
public sealed record ConditionDto(DateOnly Day, string Basis, string Condition);
public sealed record ConditionsDto(string Chain, DateOnly From, DateOnly To, IReadOnlyList<ConditionDto> Conditions);

public static class MarketApiEndpoints
{
    /// <summary>Without from/to, a chain's last <see cref="DefaultWindowDays"/> stored days are returned.</summary>
    public const int DefaultWindowDays = 30;
    public const int MaxWindowDays = 3700;

    /// <summary><c>GET /api/market/chains</c>, <c>/api/market/{chain}/days</c>, <c>/api/market/{chain}/conditions</c>.</summary>
    public static IEndpointRouteBuilder MapMarketApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/market").WithTags("Market");

        group.MapGet("/chains", (MarketStore store, CancellationToken ct) => store.GetChainsAsync(ct));

        group.MapGet("/{chain}/days", async (string chain, DateOnly? from, DateOnly? to, MarketStore store, CancellationToken ct) =>
        {
            var window = await Window(store, chain, from, to, ct);
            if (window.Problem is not null) return window.Problem;
            var series = await store.GetDaysAsync(chain, window.From, window.To, ct);
            return Results.Ok(new DaysDto(chain, window.From, window.To,
                [.. series.Days.Select(d => new DayDto(d.Day, d.Source, d.Metrics))]));
        });

        group.MapGet("/{chain}/conditions", async (string chain, DateOnly? from, DateOnly? to, MarketStore store, CancellationToken ct) =>
        {
            var window = await Window(store, chain, from, to, ct);
            if (window.Problem is not null) return window.Problem;
            var labels = await store.GetConditionsAsync(chain, window.From, window.To, ct);
            return Results.Ok(new ConditionsDto(chain, window.From, window.To,
                [.. labels.Select(c => new ConditionDto(c.Day, MarketText.Of(c.Basis), MarketText.Of(c.Condition)))]));
        });

        return app;
    }

    private sealed record Range(DateOnly From, DateOnly To, IResult? Problem);

    private static async Task<Range> Window(MarketStore store, string chain, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var known = (await store.GetChainsAsync(ct, chain)).SingleOrDefault();
        if (known is null)
            return new(default, default, Results.Problem($"No data for chain '{chain}'. GET /api/market/chains lists what is stored.",
                statusCode: StatusCodes.Status404NotFound));
        var end = to ?? known.LastDay;
        var start = from ?? end.AddDays(-(DefaultWindowDays - 1));
        if (start > end)
            return new(start, end, Results.Problem($"from ({start}) is after to ({end}).", statusCode: StatusCodes.Status400BadRequest));
        if (end.DayNumber - start.DayNumber >= MaxWindowDays)
            return new(start, end, Results.Problem($"A window may span at most {MaxWindowDays} days.", statusCode: StatusCodes.Status400BadRequest));
        return new(start, end, null);
    }
}
