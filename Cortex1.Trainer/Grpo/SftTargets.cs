using Cortex1.Model;
using Cortex1.Model.Chat;

namespace Cortex1.Trainer.Grpo;

/// <summary>
/// What SFT teaches the model to write after its generation prompt: the teacher's turn exactly as the chat template
/// would close it. For a reasoning template (R1 distills, whose generation prompt already opens <c>&lt;think&gt;\n</c>)
/// that is the reasoning, the closing <c>&lt;/think&gt;</c> and the answer; for the others the answer (their format
/// has no place for reasoning). Either way it ends with the template's end-of-turn token, so the model learns to stop.
/// </summary>
public static class SftTargets
{
    private const string Sentinel = "\u0001answer\u0001";

    public static string Text(IChatTemplate template, string answer, string? reasoning)
    {
        var body = template.ReasoningModel
            ? $"{(string.IsNullOrWhiteSpace(reasoning) ? "" : reasoning.Trim())}\n{ThinkTags.Close}\n\n{answer}"
            : answer;
        return body + EndOfTurn(template);
    }

    /// <summary>The target's tokens: the end-of-turn marker is a special token; a template without one ends with EOS.</summary>
    public static IReadOnlyList<int> Tokens(LanguageModel model, string answer, string? reasoning)
    {
        var text = Text(model.ChatTemplate, answer, reasoning);
        var ids = model.Tokenizer.Encode(text, allowSpecial: true);
        return EndOfTurn(model.ChatTemplate).Length > 0 ? ids : [.. ids, .. model.Tokenizer.EosTokenIds.Take(1)];
    }

    /// <summary>What the template writes after an assistant turn's content (phi-4 <c>&lt;|im_end|&gt;</c>, R1
    /// <c>&lt;｜end▁of▁sentence｜&gt;</c>, Llama 3 <c>&lt;|eot_id|&gt;</c>), read off the template itself.</summary>
    public static string EndOfTurn(IChatTemplate template)
    {
        var rendered = template.Render([new ChatMessage("user", "u"), new ChatMessage("assistant", Sentinel)], addGenerationPrompt: false);
        var at = rendered.LastIndexOf(Sentinel, StringComparison.Ordinal);
        return at < 0 ? "" : rendered[(at + Sentinel.Length)..];
    }
}
