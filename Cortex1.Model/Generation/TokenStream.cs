namespace Cortex1.Model.Generation;

/// <summary>Why a sequence ended, in OpenAI's words.</summary>
public static class FinishReasons
{
    /// <summary>A stop token or stop string.</summary>
    public const string Stop = "stop";

    /// <summary>The token limit, or the model's context is full.</summary>
    public const string Length = "length";
}

/// <summary>
/// One sequence's way from logits to tokens and safe text: it samples (penalties see the whole sequence), decodes
/// incrementally without splitting a UTF-8 character, holds back text that may begin a stop string, and decides when
/// the sequence ends. The engine's <see cref="Generator"/> and the server's scheduler both step their sequences with
/// it, so a request ends the same way through either.
/// </summary>
public sealed class TokenStream(Sampler sampler, IncrementalDecoder decoder, StopChecker stops, int promptLength, int maxTokens, int contextLength)
{
    /// <summary>
    /// The stream of one sequence on <paramref name="model"/>: special tokens are not shown as text, and it stops on
    /// <paramref name="stopTokens"/> (null = the model's EOS ids, empty = none) or any of <paramref name="stopStrings"/>,
    /// after <paramref name="maxTokens"/> tokens, or when the context is full.
    /// </summary>
    public static TokenStream For(LanguageModel model, int promptLength, SamplingOptions sampling, int maxTokens,
        IReadOnlyList<string> stopStrings, IReadOnlyList<int>? stopTokens = null) =>
        new(new Sampler(sampling), new IncrementalDecoder(model.Tokenizer, skipSpecial: true),
            new StopChecker(stopTokens ?? model.Tokenizer.EosTokenIds, stopStrings), promptLength, maxTokens, model.ContextLength);

    public int Generated { get; private set; }
    public int LastToken { get; private set; }

    /// <summary><see cref="FinishReasons"/>' value once the sequence ended, else null.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>
    /// Samples the next token from <paramref name="logits"/> (<paramref name="context"/>: prompt and tokens so far) and
    /// returns the text it releases, possibly empty; on the last token that includes whatever was held back.
    /// </summary>
    public string Accept(float[] logits, IReadOnlyList<int> context)
    {
        if (FinishReason is not null) throw new InvalidOperationException("The sequence has ended.");
        var token = sampler.Sample(logits, context);
        Generated++;
        LastToken = token;
        if (stops.IsStopToken(token))
        {
            FinishReason = FinishReasons.Stop;
            return stops.Push(decoder.Flush()) + stops.Flush();
        }
        var text = stops.Push(decoder.Add(token));
        if (stops.Stopped)
        {
            FinishReason = FinishReasons.Stop;
            return text;
        }
        // The caller's limit is reached, or the next step would write past the model's context.
        if (Generated >= maxTokens || promptLength + Generated >= contextLength)
        {
            text += stops.Push(decoder.Flush());
            FinishReason = stops.Stopped ? FinishReasons.Stop : FinishReasons.Length;
            return text + stops.Flush();
        }
        return text;
    }
}
