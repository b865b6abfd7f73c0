namespace Cortex1.Trainer.Pipeline;

/// <summary>
/// Configuration section <c>Pipeline</c>: whether the Trainer runs the whole flow by itself at start (the AppHost turns
/// it on), which profile, and what the AppHost knows of the keys (only whether they are set: the keys themselves stay
/// with the services that use them).
/// </summary>
public sealed class PipelineOptions
{
    public const string Section = "Pipeline";

    public bool Enabled { get; set; }

    /// <summary>A key of <see cref="Profiles"/> (<c>tiny</c> is another name of <c>baby</c>).</summary>
    public string Profile { get; set; } = "baby";

    /// <summary><c>offline</c> (the offline analyst) or <c>openrouter</c> (Synth has an OpenRouter key).</summary>
    public string Teacher { get; set; } = "offline";

    /// <summary><c>embedded</c> (the bundled history) or <c>flipside</c> (Ingest has a Flipside key).</summary>
    public string Market { get; set; } = "embedded";

    /// <summary>How often a stage's job is looked at while it runs.</summary>
    public double PollSeconds { get; set; } = 1;

    public Dictionary<string, PipelineProfile> Profiles { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public static string Canonical(string profile) => profile.Equals("tiny", StringComparison.OrdinalIgnoreCase) ? "baby" : profile.ToLowerInvariant();

    /// <summary>
    /// The selected profile, or an error naming the known ones. Its adapter name must be its own: a later start reuses
    /// the adapter it finds under that name, so two profiles sharing one would take each other's (a <c>ci</c> adapter
    /// served as the <c>baby</c> profile's).
    /// </summary>
    public PipelineProfile Selected()
    {
        var name = Canonical(Profile);
        if (!Profiles.TryGetValue(name, out var p))
            throw new InvalidOperationException($"Pipeline:Profile '{Profile}' is not one of: {string.Join(", ", Profiles.Keys.Order())}.");
        var sharing = Profiles.Where(o => !o.Key.Equals(name, StringComparison.OrdinalIgnoreCase) && o.Value.Adapter.Equals(p.Adapter, StringComparison.Ordinal))
            .Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
        return sharing.Count == 0 ? p
            : throw new InvalidOperationException($"Pipeline:Profiles:{name}:Adapter '{p.Adapter}' is also the adapter of profile {string.Join(", ", sharing)}: " +
                "a later start would reuse the other profile's adapter as this one's. Give each profile its own Adapter name.");
    }
}

/// <summary>
/// One profile's stage parameters. The training run is a recipe (a <c>POST /api/training/runs</c> body, e.g.
/// <c>configs/grpo/baby.json</c>) with <see cref="Train"/>'s fields on top; the pipeline sets its name, data set and version.
/// </summary>
public sealed class PipelineProfile
{
    /// <summary>Synth's data-set size (small, medium, large).</summary>
    public string DatasetSize { get; set; } = "small";

    /// <summary>The data set's name; default <c>cortex1-market-{DatasetSize}</c>, Synth's own default name.</summary>
    public string? Dataset { get; set; }

    /// <summary>The data set's version; default <c>{teacher}-s42</c>, Synth's own default for the seed 42.</summary>
    public string? Version { get; set; }

    /// <summary>Fields of Synth's run request over the pipeline's own (size, teacher, name, version), e.g. a prompt profile.</summary>
    public Dictionary<string, string> Synth { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Days fetched from Flipside when Ingest has a key.</summary>
    public int FetchDays { get; set; } = 365;

    /// <summary>A training-run JSON file, relative to the Trainer's folder (its configs/ are copied beside it).</summary>
    public string? Recipe { get; set; }

    /// <summary>Fields of the training run over the recipe's (e.g. <c>sftSteps</c>, <c>grpoSteps</c>, <c>baseModel</c>).</summary>
    public Dictionary<string, string> Train { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The adapter's name: <c>adapters/{Adapter}/</c>, served by Inference as that model.</summary>
    public string Adapter { get; set; } = "cortex1-analyst";

    /// <summary>Most tokens per answer in the evaluation.</summary>
    public int EvalMaxTokens { get; set; } = 1024;
}
