using System.Text.Json.Serialization;

namespace Cortex1.Inference.OpenAi;

/// <summary>
/// Source-generated JSON for the wire types: snake_case names as OpenAI spells them, strict number
/// handling (a quoted number is a type error, as in OpenAI), unknown request fields ignored.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(LoadAdapterRequest))]
[JsonSerializable(typeof(UnloadAdapterRequest))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(TextCompletion))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class OpenAiJson : JsonSerializerContext;
