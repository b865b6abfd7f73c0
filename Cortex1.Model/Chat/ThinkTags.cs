namespace Cortex1.Model.Chat;

/// <summary>R1-style reasoning: the model thinks inside &lt;think&gt;…&lt;/think&gt;, then answers.</summary>
public static class ThinkTags
{
    public const string Open = "<think>";
    public const string Close = "</think>";

    /// <summary>The answer: what follows the last &lt;/think&gt;, or the whole text when there is none.</summary>
    public static string AnswerOf(string text)
    {
        var end = text.LastIndexOf(Close, StringComparison.Ordinal);
        return end >= 0 ? text[(end + Close.Length)..] : text;
    }
}
