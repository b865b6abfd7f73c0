namespace Cortex1.Inference.Scheduling;

/// <summary>What one sequence (one choice of a request) reports as it runs, in order.</summary>
public abstract record GenerationEvent(int Choice);

/// <summary>One generated token's text (may be empty); never splits a UTF-8 character, never holds part of a stop string.</summary>
public sealed record TextDelta(int Choice, string Text) : GenerationEvent(Choice);

/// <summary>The sequence ended: <c>stop</c> (end token or stop string) or <c>length</c>.</summary>
public sealed record Finished(int Choice, string Reason, int CompletionTokens) : GenerationEvent(Choice);

/// <summary>The engine failed on this sequence; the request reports it, the server carries on.</summary>
public sealed record Failed(int Choice, string Message) : GenerationEvent(Choice);

