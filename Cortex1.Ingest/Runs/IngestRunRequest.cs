using Cortex1.Ingest.OnChain;

namespace Cortex1.Ingest.Runs;

/// <summary>Body of <c>POST /api/ingest/runs</c> and payload of an <c>ingest</c> job.</summary>
/// <param name="Mode"><c>fetch</c> (Flipside) or <c>load-embedded</c> (the bundled history).</param>
/// <param name="Days">fetch only: how many complete days back (default 30).</param>
/// <param name="Chains">fetch only: chain keys (default ethereum, near).</param>
public sealed record IngestRunRequest(string Mode, int? Days = null, IReadOnlyList<string>? Chains = null)
{
    public const string Fetch = "fetch";
    public const string LoadEmbedded = "load-embedded";
    public const int DefaultDays = 30;
    public static readonly IReadOnlyList<string> DefaultChains = ["ethereum", "near"];

    public int DaysOrDefault => Days ?? DefaultDays;
    public IReadOnlyList<string> ChainsOrDefault => Chains is { Count: > 0 } c ? c : DefaultChains;

    /// <summary>What is wrong with the request, or null when it is valid.</summary>
    public string? Validate()
    {
        if (Mode is not (Fetch or LoadEmbedded))
            return $"mode must be '{Fetch}' or '{LoadEmbedded}', not '{Mode}'.";
        if (Mode == LoadEmbedded) return null;
        if (DaysOrDefault is < 1 or > 3650) return "days must be between 1 and 3650.";
        var unknown = ChainsOrDefault.Where(c => !ChainQueries.Chains.Contains(c)).ToList();
        return unknown.Count > 0
            ? $"unknown chain(s) {string.Join(", ", unknown)}; known: {string.Join(", ", ChainQueries.Chains)}."
            : null;
    }
}
