namespace Cortex1.Model.Generation;

/// <summary>
/// How many prompts go into one prefill forward (<see cref="LanguageModel.Extend"/>): prompts are taken in order while
/// their tokens fit <c>maxTokens</c>; the first always goes (a longer prompt runs alone), and a repeat of the previous
/// prompt costs nothing, since Extend runs identical fresh prompts once. The engine's <see cref="Generator"/> and the
/// server's scheduler both batch their prefills with it.
/// </summary>
public sealed class PrefillBudget(int maxTokens)
{
    /// <summary>
    /// The default budget: big enough that a burst of ordinary prompts (or a GRPO step's groups) prefills in one
    /// forward, small enough that one prefill does not stall the server's running streams for long.
    /// </summary>
    public const int DefaultMaxTokens = 4096;

    IReadOnlyList<int>? _previous;

    /// <summary>The budget; at 0 or below every prompt runs alone.</summary>
    public int MaxTokens { get; } = maxTokens;

    /// <summary>Distinct prompt tokens taken so far.</summary>
    public int Tokens { get; private set; }

    /// <summary>Whether <paramref name="prompt"/> may join the forward; <see cref="Add"/> it when it does.</summary>
    public bool Fits(IReadOnlyList<int> prompt) => _previous is null || Tokens + Cost(prompt) <= MaxTokens;

    public void Add(IReadOnlyList<int> prompt)
    {
        Tokens += Cost(prompt);
        _previous = prompt;
    }

    int Cost(IReadOnlyList<int> prompt) => _previous is not null && prompt.SequenceEqual(_previous) ? 0 : prompt.Count;
}
