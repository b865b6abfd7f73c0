using Cortex1.Domain;
using Cortex1.Model.Baby;
using Cortex1.Model.Chat;
using Cortex1.Model.Tokenization;

namespace Cortex1.Trainer.Pretrain;

/// <summary>
/// The pretraining text: every example of a Synth data set (its train split only, so the eval windows stay out) as one
/// chat — the prompt as the user turn, the report as the assistant's, in the baby model's template — tokenized and
/// laid end to end.
/// </summary>
public sealed class PretrainCorpus
{
    public IReadOnlyList<string> Texts { get; }
    public int[] Tokens { get; }
    /// <summary>Where each chat starts in <see cref="Tokens"/>.</summary>
    public IReadOnlyList<int> Starts { get; }
    public IReadOnlyList<int> Lengths { get; }
    /// <summary>Where each chat's assistant turn (the report) starts, counted from the chat's first token.</summary>
    public IReadOnlyList<int> AnswerStarts { get; }

    public PretrainCorpus(IReadOnlyList<string> texts, TextTokenizer tokenizer)
    {
        Texts = texts;
        var tokens = new List<int>();
        var starts = new List<int>();
        var lengths = new List<int>();
        var answers = new List<int>();
        foreach (var text in texts)
        {
            var ids = tokenizer.Encode(text);
            starts.Add(tokens.Count);
            lengths.Add(ids.Length);
            answers.Add(AnswerStart(text, ids.Length, tokenizer));
            tokens.AddRange(ids);
        }
        Tokens = [.. tokens];
        Starts = starts;
        Lengths = lengths;
        AnswerStarts = answers;
    }

    /// <summary>
    /// The token where the assistant turn begins: the length of the chat up to and including the assistant header (the
    /// template's generation prompt). The header ends in a special token and a newline, so the prefix tokenizes alone
    /// as it does inside the chat. A text with no assistant header is all answer (0).
    /// </summary>
    static int AnswerStart(string chat, int length, TextTokenizer tokenizer)
    {
        var header = AssistantHeader;
        var at = chat.LastIndexOf(header, StringComparison.Ordinal);
        return at < 0 ? 0 : Math.Min(length, tokenizer.Encode(chat[..(at + header.Length)]).Length);
    }

    /// <summary>What the baby's template writes before the assistant's text (its generation prompt for a one-message chat, less that chat).</summary>
    static string AssistantHeader { get; } = AssistantHeaderOf(BabyModel.ChatTemplate);

    static string AssistantHeaderOf(IChatTemplate template)
    {
        var user = template.Render([new ChatMessage("user", "x")], addGenerationPrompt: false);
        var prompt = template.Render([new ChatMessage("user", "x")], addGenerationPrompt: true);
        return prompt.StartsWith(user, StringComparison.Ordinal) && prompt.Length > user.Length
            ? prompt[user.Length..]
            : throw new InvalidOperationException("The baby's chat template has no generation prompt after the user turn.");
    }

    /// <summary>The chat text of one example: what the model sees in pretraining and what it answers at serving time.</summary>
    public static string Chat(TrainingExample e) => Chat(e.Prompt, e.Answer);

    /// <summary>
    /// The same report after a one-line request (<see cref="ShortRequest"/>) instead of the data prompt: a chat user's
    /// first message is a question like this, and a model that only ever saw a table before a report answers it with
    /// anything but a report.
    /// </summary>
    public static string ShortChat(TrainingExample e) => Chat(ShortRequest(e.Kind, e.Chain), e.Answer);

    static string Chat(string user, string answer) =>
        BabyModel.ChatTemplate.Render([new ChatMessage("user", user), new ChatMessage("assistant", answer)], addGenerationPrompt: false);

    /// <summary>A one-line request for the task kind on a chain (its name, capitalised: "Give me a market analysis of Ethereum.").</summary>
    public static string ShortRequest(TaskKind kind, string chain)
    {
        var name = chain.Length == 0 ? chain : char.ToUpperInvariant(chain[0]) + chain[1..];
        return kind switch
        {
            TaskKind.MarketAnalysis => $"Give me a market analysis of {name}.",
            TaskKind.CrossChainCorrelation => $"How does {name} move with the other chains?",
            TaskKind.ProtocolAnalysis => $"Analyse the {name} network.",
            TaskKind.RiskAssessment => $"What are the risks of holding {name} now?",
            TaskKind.OpportunityDetection => $"Where are the trading opportunities in {name}?",
            _ => $"Analyse {name}.",
        };
    }

    /// <summary>
    /// A training window of chat <paramref name="index"/>, at most <paramref name="maxLength"/> tokens: the whole chat
    /// when it fits; else its last tokens (the end of the prompt, where the rules list the sections, and the whole
    /// report) or, with <paramref name="fromStart"/>, its first (the user turn's opening and the tables).
    /// </summary>
    public long[] Window(int index, int maxLength, bool fromStart) => Slice(index, maxLength, fromStart).Tokens;

    /// <summary>
    /// <see cref="Window"/> and, within it, the first position whose token is part of the report
    /// (0 when the window starts inside the report; the window's length when it holds none of it).
    /// </summary>
    public (long[] Tokens, int AnswerStart) Slice(int index, int maxLength, bool fromStart)
    {
        var length = Math.Min(Lengths[index], maxLength);
        var offset = fromStart ? 0 : Lengths[index] - length;
        var first = Starts[index] + offset;
        var tokens = new long[length];
        for (var i = 0; i < length; i++) tokens[i] = Tokens[first + i];
        return (tokens, Math.Clamp(AnswerStarts[index] - offset, 0, length));
    }
}
