namespace Cortex1.Inference.OpenAi;

/// <summary>OpenAI's error envelope: <c>{"error":{"message","type","param","code"}}</c>; param and code may be null.</summary>
public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody(string Message, string Type, string? Param, string? Code);
