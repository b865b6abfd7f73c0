using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cortex1.Inference.OpenAi;

/// <summary>
/// Message content as OpenAI accepts it: a string, null, or an array of parts of which only text
/// parts are served. The parts are joined, so the template sees one string per message.
/// </summary>
public sealed class MessageContentConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.StartArray:
                var text = new StringBuilder();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    text.Append(ReadPart(ref reader));
                return text.ToString();
            default:
                throw new JsonException("must be a string or an array of content parts");
        }
    }

    private static string ReadPart(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("each content part must be an object like {\"type\":\"text\",\"text\":\"...\"}");
        string? type = null, text = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "type" when reader.TokenType == JsonTokenType.String: type = reader.GetString(); break;
                case "text" when reader.TokenType == JsonTokenType.String: text = reader.GetString(); break;
                case "type" or "text": throw new JsonException($"content part '{name}' must be a string");
                default: reader.Skip(); break;
            }
        }
        return type == "text" && text is not null
            ? text
            : throw new JsonException($"content part type '{type ?? "(missing)"}' is not supported; only text parts are");
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);
}

/// <summary><c>stop</c> and <c>prompt</c>: null, one string, or an array of strings (token-id prompts are not served).</summary>
public sealed class StringOrArrayConverter : JsonConverter<List<string>?>
{
    public override bool HandleNull => true;

    public override List<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return [reader.GetString()!];
            case JsonTokenType.StartArray:
                var items = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    items.Add(reader.TokenType == JsonTokenType.String
                        ? reader.GetString()!
                        : throw new JsonException("must be a string or an array of strings"));
                return items;
            default:
                throw new JsonException("must be a string or an array of strings");
        }
    }

    public override void Write(Utf8JsonWriter writer, List<string>? value, JsonSerializerOptions options)
    {
        if (value is null) { writer.WriteNullValue(); return; }
        writer.WriteStartArray();
        foreach (var item in value) writer.WriteStringValue(item);
        writer.WriteEndArray();
    }
}
