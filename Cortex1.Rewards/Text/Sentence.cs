namespace Cortex1.Rewards.Text;

/// <summary>
/// One sentence (or heading, or table row) of a completion with its numbers, citations and dates.
/// Positions are relative to <see cref="Text"/>.
/// </summary>
internal sealed class Sentence(string text, int line, int section, bool isHeading, bool startsBullet)
{
    public string Text { get; } = text;
    /// <summary>Lower-cased text, for keyword checks.</summary>
    public string Lower { get; } = text.ToLowerInvariant();
    /// <summary>The <see cref="Lexicon"/> topics the sentence mentions.</summary>
    public Topic Topics { get; private set; }
    public int Line { get; } = line;
    /// <summary>Index into <see cref="Document.Headings"/> of the section holding it, or -1 before any heading.</summary>
    public int Section { get; } = section;
    public bool IsHeading { get; } = isHeading;
    /// <summary>The first sentence of a bullet or numbered-list line.</summary>
    public bool StartsBullet { get; } = startsBullet;
    public List<NumberToken> Numbers { get; } = [];
    public List<CitationToken> Citations { get; } = [];
    public List<DateToken> Dates { get; } = [];
    /// <summary>Bracketed references that are not <c>[metric_name]</c>: <c>[1]</c>, <c>[Close Price]</c>.</summary>
    public int MalformedCitations { get; set; }

    public bool HasEvidence => Numbers.Count > 0 || Citations.Count > 0;

    public bool Has(Topic topic) => (Topics & topic) != 0;

    public void MatchTopics() => Topics = Lexicon.Match(Lower);
}
