using System.ClientModel.Primitives;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Cortex1.Synth.Teachers;

/// <summary>
/// Splits a teacher's reply into reasoning and answer. Providers put R1's chain of thought in
/// different places: a <c>reasoning</c> field (OpenRouter), <c>reasoning_content</c> (DeepSeek, vLLM),
/// MEAI reasoning content, or <c>&lt;think&gt;…&lt;/think&gt;</c> tags in the text (Ollama, raw models).
/// All are read; the answer never contains the reasoning.
/// </summary>
public static class ReasoningExtractor
{
    private const string Open = "<think>";
    private const string Close = "</think>";

    public static TeacherAnswer Extract(ChatResponse response)
    {
        var text = response.Text ?? "";
        var reasoning = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text));
        if (string.IsNullOrWhiteSpace(reasoning)) reasoning = FromRawJson(response.RawRepresentation) ?? "";
        var (tagged, answer) = SplitThinkTags(text);
        if (string.IsNullOrWhiteSpace(reasoning)) reasoning = tagged;
        return new TeacherAnswer(reasoning.Trim(), answer.Trim());
    }

    /// <summary>Reasoning inside think tags and the text outside them. R1 sometimes omits the opening tag.</summary>
    public static (string Reasoning, string Answer) SplitThinkTags(string text)
    {
        var close = text.IndexOf(Close, StringComparison.Ordinal);
        if (close < 0) return ("", text);
        var open = text.IndexOf(Open, StringComparison.Ordinal);
        var start = open >= 0 && open < close ? open + Open.Length : 0;
        var before = open >= 0 && open < close ? text[..open] : "";
        return (text[start..close], before + text[(close + Close.Length)..]);
    }

    /// <summary>The first choice's <c>reasoning</c> / <c>reasoning_content</c> from the provider's JSON, which the OpenAI SDK keeps but does not type.</summary>
    private static string? FromRawJson(object? raw)
    {
        if (raw is not OpenAI.Chat.ChatCompletion completion) return null;
        var json = ModelReaderWriter.Write(completion, ModelReaderWriterOptions.Json);
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            return null;
        if (!choices[0].TryGetProperty("message", out var message)) return null;
        foreach (var name in (string[])["reasoning_content", "reasoning"])
            if (message.TryGetProperty(name, out var r) && r.ValueKind == JsonValueKind.String && r.GetString() is { Length: > 0 } s)
                return s;
        return null;
    }
}
