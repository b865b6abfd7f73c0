using System.Text;
using System.Threading.Channels;
using Cortex1.Inference.Adapters;
using Cortex1.Inference.Engine;
using Cortex1.Inference.OpenAi;
using Cortex1.Inference.Scheduling;
using Cortex1.Inference.Telemetry;
using Cortex1.Inference.Validation;
using Cortex1.Model;
using Cortex1.Model.Chat;

namespace Cortex1.Inference.Api;

/// <summary><c>POST /v1/chat/completions</c>: the chat template, n choices, streamed or whole, thinking apart from the answer.</summary>
public static class ChatCompletionsApi
{
    public static IEndpointRouteBuilder MapChatCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", HandleAsync);
        return app;
    }

    private static async Task HandleAsync(HttpContext http, ModelHost host, AdapterCatalog catalog, BatchScheduler scheduler)
    {
        var ct = http.RequestAborted;
        var request = await RequestBody.ReadAsync(http.Request, OpenAiJson.Default.ChatCompletionRequest, ct);
        RequestValidator.Validate(request);
        var adapter = catalog.Resolve(request.Model!);
        var model = host.Model;

        var messages = request.Messages!
            .Select(m => new ChatMessage(m.Role == "developer" ? "system" : m.Role!, m.Content ?? "", m.ReasoningContent))
            .ToList();
        var text = model.ChatTemplate.Render(messages, addGenerationPrompt: true);
        PromptBound.Check(model.Tokenizer, text, model.ContextLength, "messages");
        var prompt = model.Tokenizer.Encode(text, allowSpecial: true);
        var parameters = GenerationPlanner.Plan(request, request.MaxCompletionTokens ?? request.MaxTokens,
            request.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens", null, prompt.Length, model.ContextLength, "messages");
        var n = request.N ?? 1;
        var stream = request.Stream == true;

        using var activity = RequestActivity.Start("chat", request.Model!, prompt.Length, n, stream);
        var events = scheduler.Submit([prompt], parameters, n, adapter, ct);
        var reply = Reply.Create("chatcmpl", request.Model!, prompt.Length, n, model.ChatTemplate.ReasoningModel);
        var usage = stream
            ? await StreamAsync(http, reply, events, request.StreamOptions?.IncludeUsage == true, ct)
            : await AnswerAsync(http, reply, events, ct);
        RequestActivity.Complete(activity, usage.Usage, usage.FinishReasons);
    }

    private static async Task<Outcome> AnswerAsync(HttpContext http, Reply reply, ChannelReader<GenerationEvent> events, CancellationToken ct)
    {
        var content = Enumerable.Range(0, reply.N).Select(_ => new StringBuilder()).ToArray();
        var reasoning = Enumerable.Range(0, reply.N).Select(_ => new StringBuilder()).ToArray();
        var splitters = Enumerable.Range(0, reply.N).Select(_ => new ReasoningSplitter(reply.ReasoningModel)).ToArray();
        var tally = new ChoiceTally(reply);
        await foreach (var e in RequestEvents.ReadUntilAllEndAsync(events, reply.N, ct))
        {
            var (thought, answer) = e switch
            {
                TextDelta delta => splitters[e.Choice].Push(delta.Text),
                Finished => splitters[e.Choice].Flush(),
                Failed failed => throw Reply.EngineFailure(failed),
                _ => ("", ""),
            };
            reasoning[e.Choice].Append(thought);
            content[e.Choice].Append(answer);
            if (e is Finished done) tally.Record(done);
        }
        var choices = Enumerable.Range(0, reply.N)
            .Select(i => new ChatChoice(i, new AssistantMessage(content[i].ToString(), reply.ReasoningModel ? reasoning[i].ToString() : null), tally.FinishReasons[i]!))
            .ToList();
        await http.Response.WriteAsJsonAsync(new ChatCompletion(reply.Id, reply.Created, reply.Model, choices, tally.Usage), OpenAiJson.Default.ChatCompletion, cancellationToken: ct);
        return tally.Outcome;
    }

    private static async Task<Outcome> StreamAsync(HttpContext http, Reply reply, ChannelReader<GenerationEvent> events, bool includeUsage, CancellationToken ct)
    {
        var sse = new SseWriter(http.Response);
        await sse.StartAsync(ct);
        Task Send(int choice, Delta delta, string? finishReason = null) =>
            sse.WriteAsync(new ChatCompletionChunk(reply.Id, reply.Created, reply.Model, [new ChunkChoice(choice, delta, finishReason)]),
                OpenAiJson.Default.ChatCompletionChunk, ct);

        for (var choice = 0; choice < reply.N; choice++)
            await Send(choice, new Delta(Role: "assistant", Content: ""));

        var splitters = Enumerable.Range(0, reply.N).Select(_ => new ReasoningSplitter(reply.ReasoningModel)).ToArray();
        var tally = new ChoiceTally(reply);
        await foreach (var e in RequestEvents.ReadUntilAllEndAsync(events, reply.N, ct))
        {
            if (e is Failed failed)
            {
                await sse.WriteErrorAsync(Reply.EngineFailure(failed).ToResponse(), ct);
                return tally.Outcome;
            }
            var (thought, answer) = e is TextDelta delta ? splitters[e.Choice].Push(delta.Text) : splitters[e.Choice].Flush();
            // Every token gets a chunk (content "" when it adds no text yet); the flush at the end only when it has text.
            if (e is TextDelta || thought.Length > 0 || answer.Length > 0)
                await Send(e.Choice, new Delta(Content: answer.Length > 0 || thought.Length == 0 ? answer : null, ReasoningContent: thought.Length > 0 ? thought : null));
            if (e is Finished done)
            {
                tally.Record(done);
                await Send(e.Choice, new Delta(), done.Reason);
            }
        }
        if (includeUsage)
            await sse.WriteAsync(new ChatCompletionChunk(reply.Id, reply.Created, reply.Model, [], tally.Usage), OpenAiJson.Default.ChatCompletionChunk, ct);
        await sse.DoneAsync(ct);
        return tally.Outcome;
    }
}
