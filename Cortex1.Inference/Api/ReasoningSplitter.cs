using Cortex1.Model.Chat;
using Cortex1.Model.Generation;

namespace Cortex1.Inference.Api;

/// <summary>
/// Splits a reasoning model's output into thinking and answer. R1 distills start inside
/// <c>&lt;think&gt;</c> (the template opens it); everything up to <c>&lt;/think&gt;</c> is
/// <c>reasoning_content</c>, the rest <c>content</c>. Works on streamed deltas: a closing tag split
/// across deltas is held back until it is whole. For other models all text is content.
/// </summary>
public sealed class ReasoningSplitter(bool reasoningModel)
{
    private readonly bool _reasoningModel = reasoningModel;
    private bool _thinking = reasoningModel;
    private string _held = "";
    private bool _reasoningStarted;
    private bool _contentStarted;

    /// <summary>Adds a delta; returns the reasoning and the content it adds (either may be empty).</summary>
    public (string Reasoning, string Content) Push(string text)
    {
        if (!_thinking)
            return ("", Content(text));
        var buffer = _held + text;
        var close = buffer.IndexOf(ThinkTags.Close, StringComparison.Ordinal);
        if (close >= 0)
        {
            _thinking = false;
            _held = "";
            return (Reasoning(buffer[..close]), Content(buffer[(close + ThinkTags.Close.Length)..]));
        }
        // Keep back an ending that may be the start of the closing tag.
        var hold = StopChecker.HeldBack(buffer, ThinkTags.Close);
        _held = buffer[^hold..];
        return (Reasoning(buffer[..^hold]), "");
    }

    /// <summary>What was held back when the sequence ends (an unfinished tag is thinking text after all).</summary>
    public (string Reasoning, string Content) Flush()
    {
        var rest = _held;
        _held = "";
        return (Reasoning(rest), "");
    }

    private string Reasoning(string text)
    {
        if (_reasoningStarted || text.Length == 0) return text;
        // Some checkpoints write the opening tag themselves; the leading newline is the template's.
        text = text.TrimStart();
        text = text.StartsWith(ThinkTags.Open, StringComparison.Ordinal) ? text[ThinkTags.Open.Length..].TrimStart() : text;
        _reasoningStarted = text.Length > 0;
        return text;
    }

    private string Content(string text)
    {
        if (_contentStarted || !_reasoningModel) return text;
        text = text.TrimStart();
        _contentStarted = text.Length > 0;
        return text;
    }
}
