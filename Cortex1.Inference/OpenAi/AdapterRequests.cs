namespace Cortex1.Inference.OpenAi;

/// <summary>vLLM's <c>POST /v1/load_lora_adapter</c> body; without a path the adapter is looked up in storage by name.</summary>
public sealed record LoadAdapterRequest(string? LoraName, string? LoraPath);

/// <summary>vLLM's <c>POST /v1/unload_lora_adapter</c> body.</summary>
public sealed record UnloadAdapterRequest(string? LoraName);
