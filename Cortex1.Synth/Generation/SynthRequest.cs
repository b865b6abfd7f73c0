using System.Text.RegularExpressions;

namespace Cortex1.Synth.Generation;

/// <summary>
/// A generation run as the API and CLI accept it. <see cref="Teacher"/>: <c>offline</c>, <c>openrouter</c>
/// (Teacher:BaseUrl, Teacher:Model, Teacher:ApiKey) or the base URL of any OpenAI-compatible endpoint.
/// <see cref="Chains"/>: <c>market</c> (every chain with prices) or chain keys. <see cref="Profile"/>: the prompt profile
/// (<see cref="PromptProfile"/>: <c>standard</c>, the default, or <c>compact</c> for the baby model); a non-standard
/// profile is part of the default version (<c>offline-compact-s42</c>), so it never resumes a standard data set.
/// <see cref="Variants"/>: how many moved, rescaled, renamed copies of the history (<see cref="HistoryVariant"/>) add train
/// windows (0, the default; the baby's pretraining corpus uses them), also part of the default version (<c>offline-compact-x4-s42</c>).
/// </summary>
public sealed partial record SynthRunRequest(
    string Size = "small",
    string Teacher = "offline",
    IReadOnlyList<string>? Chains = null,
    string? Name = null,
    string? Version = null,
    double? QualityGate = null,
    int Seed = 42,
    string? Profile = null,
    int Variants = 0)
{
    public const string MarketChains = "market";

    public IReadOnlyList<string> ChainList => Chains is { Count: > 0 } c ? c : [MarketChains];
    public string DatasetName => Name ?? $"cortex1-market-{Size}";
    public string ProfileName => (Profile ?? PromptProfile.StandardName).ToLowerInvariant();
    public string DatasetVersion => Version ?? string.Join('-', new[] { TeacherSlug, ProfileName == PromptProfile.StandardName ? null : ProfileName,
        Variants == 0 ? null : $"x{Variants}", $"s{Seed}" }.OfType<string>());

    /// <summary>The teacher as a blob-name-safe slug: offline, openrouter, or the endpoint's host.</summary>
    public string TeacherSlug => Teacher switch
    {
        "offline" or "openrouter" => Teacher,
        _ when Uri.TryCreate(Teacher, UriKind.Absolute, out var u) => Slug().Replace(u.Host.ToLowerInvariant(), "-"),
        _ => Teacher,
    };

    /// <summary>Null when valid, else what is wrong, in words for the user.</summary>
    public string? Validate()
    {
        if (!DatasetSizes.TryGet(Size, out _)) return $"dataset size '{Size}' is unknown; use one of {string.Join(", ", DatasetSizes.Names)}.";
        if (!PromptProfile.TryGet(ProfileName, out _)) return $"prompt profile '{Profile}' is unknown; use one of {string.Join(", ", PromptProfile.Names)}.";
        if (Teacher is not ("offline" or "openrouter") &&
            !(Uri.TryCreate(Teacher, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
            return $"teacher '{Teacher}' is not 'offline', 'openrouter' or an http(s) URL of an OpenAI-compatible endpoint.";
        if (!SafeName().IsMatch(DatasetName)) return $"dataset name '{DatasetName}' must be lower-case letters, digits, '.', '_' or '-'.";
        if (!SafeName().IsMatch(DatasetVersion)) return $"dataset version '{DatasetVersion}' must be lower-case letters, digits, '.', '_' or '-'.";
        if (Variants < 0 || Variants > HistoryVariant.Max) return $"history variants must be within [0, {HistoryVariant.Max}], got {Variants}.";
        if (QualityGate is { } g && (g is < 0 or > 1 || double.IsNaN(g))) return $"quality gate {g} must be within [0, 1].";
        if (ChainList.Any(c => !SafeName().IsMatch(c))) return "chains must be lower-case chain keys (bitcoin, ethereum, …) or 'market'.";
        return null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex SafeName();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex Slug();
}

/// <summary>How many kept examples each size aims at. Eval gets <see cref="EvalFraction"/> of them.</summary>
public static class DatasetSizes
{
    public const double EvalFraction = 0.2;

    private static readonly Dictionary<string, int> Targets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["small"] = 40,
        ["medium"] = 200,
        ["large"] = 1000,
        // The baby model's pretraining corpus (cortex1-corpus): every kind over most of the history's train windows.
        ["corpus"] = 3000,
    };

    public static IEnumerable<string> Names => Targets.Keys;

    public static bool TryGet(string size, out int keptTarget) => Targets.TryGetValue(size, out keptTarget);

    public static int Target(string size) =>
        TryGet(size, out var n) ? n : throw new ArgumentException($"Unknown dataset size '{size}'.", nameof(size));
}
