using Cortex1.Synth.Generation;

namespace Cortex1.Synth.Teachers;

/// <summary>What a teacher produced: its reasoning (chain of thought) and its answer (the report), both kept.</summary>
public sealed record TeacherAnswer(string Reasoning, string Answer);

/// <summary>A source of reasoning examples: an LLM behind an OpenAI-compatible API, or the offline analyst.</summary>
public interface ITeacher
{
    /// <summary>The name examples are labelled with (e.g. <c>openrouter:deepseek/deepseek-r1</c>, <c>offline-analyst/1</c>).</summary>
    string Name { get; }

    /// <summary>How many tasks may be in flight at once.</summary>
    int MaxConcurrency { get; }

    Task<TeacherAnswer> AnswerAsync(SynthTask task, string prompt, CancellationToken ct);
}
