using System.ClientModel;
using System.Text;
using Cortex1.Model.Chat;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace Cortex1.Inference.Tests;

/// <summary>The official OpenAI .NET SDK, unchanged, against the running server.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class OpenAiSdkTests(SharedServer shared)
{
    private InferenceServer Server => shared.Server;

    private OpenAIClient Client() =>
        new(new ApiKeyCredential("no-key-needed"), new OpenAIClientOptions { Endpoint = new Uri(Server.BaseUrl, "v1") });

    private int PromptTokens(params (string Role, string Content)[] messages)
    {
        var model = Server.Host.Model;
        return model.Tokenizer.Encode(model.ChatTemplate.Render(
            messages.Select(m => new Cortex1.Model.Chat.ChatMessage(m.Role, m.Content)).ToList(), addGenerationPrompt: true)).Length;
    }

    [Fact]
    public async Task Chat_completion_counts_usage_and_ends_by_length()
    {
        var chat = Client().GetChatClient(Server.ModelName);
        ChatMessage[] messages = [new SystemChatMessage("You analyse crypto markets."), new UserChatMessage("How is ETH doing?")];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12 };

        ChatCompletion completion = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(Server.ModelName, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id);
        Assert.Equal(PromptTokens(("system", "You analyse crypto markets."), ("user", "How is ETH doing?")), completion.Usage.InputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        if (completion.FinishReason == ChatFinishReason.Length)
            Assert.Equal(12, completion.Usage.OutputTokenCount);
        else
            Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.OutputTokenCount is > 0 and <= 12);
    }

    [Fact]
    public async Task Streaming_gives_the_same_greedy_text_with_usage_last()
    {
        var chat = Client().GetChatClient(Server.ModelName);
        ChatMessage[] messages = [new UserChatMessage("Summarise BTC's week.")];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 };
        ChatCompletion whole = await chat.CompleteChatAsync(messages, options);

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            updates++;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(whole.FinishReason, finish);
        Assert.NotNull(usage); // The SDK asks for stream_options.include_usage; the server sends the usage chunk.
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.True(updates >= 3, $"expected a real stream, got {updates} updates");
    }

    [Fact]
    public async Task Seeded_sampling_is_reproducible_and_the_seed_matters()
    {
        var chat = Client().GetChatClient(Server.ModelName);
        ChatMessage[] messages = [new UserChatMessage("Give me a trading idea.")];
        ChatCompletionOptions Seeded(long seed) => new() { Temperature = 1.0f, TopP = 0.95f, MaxOutputTokenCount = 12, Seed = seed };

        string first = (await chat.CompleteChatAsync(messages, Seeded(42))).Value.Content[0].Text;
        string again = (await chat.CompleteChatAsync(messages, Seeded(42))).Value.Content[0].Text;
        string other = (await chat.CompleteChatAsync(messages, Seeded(43))).Value.Content[0].Text;

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Stop_sequences_cut_the_text_before_the_stop()
    {
        var chat = Client().GetChatClient(Server.ModelName);
        ChatMessage[] messages = [new UserChatMessage("List three chains.")];
        string full = (await chat.CompleteChatAsync(messages, new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 })).Value.Content[0].Text;
        Assert.True(full.Length >= 12, $"need some text to cut: '{full}'");
        var stop = full.Substring(full.Length / 2, 3);

        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        options.StopSequences.Add(stop);
        ChatCompletion cut = await chat.CompleteChatAsync(messages, options);
        var streamed = new StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);

        var expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        Assert.Equal(expected, cut.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        Assert.Equal(expected, streamed.ToString());
    }

    [Fact]
    public async Task Penalties_change_a_seeded_answer()
    {
        var chat = Client().GetChatClient(Server.ModelName);
        ChatMessage[] messages = [new UserChatMessage("Repeat after me: up up up")];
        ChatCompletionOptions Options(float penalty) =>
            new() { Temperature = 1, Seed = 3, MaxOutputTokenCount = 32, FrequencyPenalty = penalty, PresencePenalty = penalty };
        string plain = (await chat.CompleteChatAsync(messages, Options(0))).Value.Content[0].Text;
        string penalised = (await chat.CompleteChatAsync(messages, Options(2))).Value.Content[0].Text;
        Assert.Equal(plain, (await chat.CompleteChatAsync(messages, Options(0))).Value.Content[0].Text);
        Assert.NotEqual(plain, penalised);
    }

    [Fact]
    public async Task Models_lists_the_served_model()
    {
        var models = Client().GetOpenAIModelClient();
        OpenAIModelCollection list = await models.GetModelsAsync();
        Assert.Contains(list, m => m.Id == Server.ModelName && m.OwnedBy == "cortex1");
        OpenAIModel one = await models.GetModelAsync(Server.ModelName);
        Assert.Equal(Server.ModelName, one.Id);
    }
}
