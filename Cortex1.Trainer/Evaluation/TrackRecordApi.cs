using Cortex1.Data.Tracking;

namespace Cortex1.Trainer.Evaluation;

/// <summary>One model's track record as the API shows it: a metric with nothing to measure yet is null.</summary>
public sealed record TrackRecordView(string Model, int Answers, int Forecasts, int Scored, int Pending, double? DirectionHitRate, double? Mape,
    double? PersistenceMape, double? Coverage90, double? MeanWinkler90, DateOnly? NextDue)
{
    public static TrackRecordView From(TrackRecord r)
    {
        static double? V(double x) => double.IsFinite(x) ? x : null;
        var at90 = r.Metrics.Levels.FirstOrDefault(l => Math.Abs(l.Level - 0.90) < 0.005);
        return new TrackRecordView(r.Model, r.Answers, r.Forecasts, r.Scored, r.Pending, V(r.Metrics.HitRate), V(r.Metrics.Mape),
            V(r.Persistence.Mape), V(r.Metrics.CoverageAt(0.90)), at90 is null ? null : V(at90.MeanWinkler), r.NextDue);
    }
}

public static class TrackRecordApi
{
    /// <summary>
    /// <c>GET /api/evaluations/track-record[?model=M]</c>: the live track record per model, read as stored (forecasts are
    /// scored when Ingest stores their due day's close, or by <c>track score</c>; a GET writes nothing).
    /// </summary>
    public static IEndpointRouteBuilder MapTrackRecordApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/evaluations/track-record", async (string? model, TrackingStore store, CancellationToken ct) =>
        {
            var (records, _) = await store.TrackRecordAsync(model, ct);
            return Results.Ok(records.Select(TrackRecordView.From).ToList());
        }).WithTags("Evaluations");
        return app;
    }
}
