using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Cortex1.Inference.Tests;

/// <summary>Microsoft.Extensions.AI's <see cref="IChatClient"/> over the OpenAI provider, as apps built on it use the server.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class ChatClientTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    private IChatClient Client() =>
        new OpenAIClient(new ApiKeyCredential("no-key-needed"), new OpenAIClientOptions { Endpoint = new Uri(Server.BaseUrl, "v1") })
            .GetChatClient(Server.ModelName).AsIChatClient();

    [Fact]
    public async Task Response_and_streaming_response_agree()
    {
        using var client = Client();
        List<ChatMessage> messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "What moved SOL today?")];
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 14 };

        var response = await client.GetResponseAsync(messages, options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options)) updates.Add(update);
        var streamed = updates.ToChatResponse();

        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(response.Text, streamed.Text);
        Assert.Equal(response.FinishReason, streamed.FinishReason);
        Assert.Contains(response.FinishReason, new ChatFinishReason?[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.InputTokenCount > 0);
        Assert.InRange(response.Usage.OutputTokenCount ?? 0, 1, 14);
        Assert.Equal(response.Usage.InputTokenCount, streamed.Usage?.InputTokenCount);
        Assert.Equal(response.Usage.OutputTokenCount, streamed.Usage?.OutputTokenCount);
        Assert.Equal(Server.ModelName, response.ModelId);
    }

    [Fact]
    public async Task Content_given_as_text_parts_is_the_same_prompt_as_a_string()
    {
        using var client = Client();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 8 };
        // Two text parts become a content array on the wire; the server joins them.
        var parts = new ChatMessage(ChatRole.User, [new TextContent("Market "), new TextContent("update?")]);
        var asParts = await client.GetResponseAsync([parts], options);
        var asString = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Market update?")], options);
        Assert.Equal(asString.Text, asParts.Text);
        Assert.Equal(asString.Usage?.InputTokenCount, asParts.Usage?.InputTokenCount);
    }
}
