using System.Text;
using System.Threading.Channels;
using Cortex1.Inference.Adapters;
using Cortex1.Inference.Engine;
using Cortex1.Inference.OpenAi;
using Cortex1.Inference.Scheduling;
using Cortex1.Inference.Telemetry;
using Cortex1.Inference.Validation;

namespace Cortex1.Inference.Api;

/// <summary><c>POST /v1/completions</c>: raw prompts (no chat template), n choices per prompt, streamed or whole.</summary>
public static class CompletionsApi
{
    /// <summary>OpenAI's default length for legacy completions.</summary>
    public const int DefaultMaxTokens = 16;

    public static IEndpointRouteBuilder MapCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/completions", HandleAsync);
        return app;
    }

    private static async Task HandleAsync(HttpContext http, ModelHost host, AdapterCatalog catalog, BatchScheduler scheduler)
    {
        var ct = http.RequestAborted;
        var request = await RequestBody.ReadAsync(http.Request, OpenAiJson.Default.CompletionRequest, ct);
        RequestValidator.Validate(request);
        var adapter = catalog.Resolve(request.Model!);
        var model = host.Model;

        foreach (var p in request.Prompt!) PromptBound.Check(model.Tokenizer, p, model.ContextLength, "prompt");
        var prompts = request.Prompt!.Select(p => model.Tokenizer.Encode(p, allowSpecial: true)).ToList();
        var parameters = GenerationPlanner.Plan(request, request.MaxTokens, "max_tokens", DefaultMaxTokens,
            prompts.Max(p => p.Length), model.ContextLength, "prompt");
        var n = request.N ?? 1;
        var stream = request.Stream == true;

        using var activity = RequestActivity.Start("text_completion", request.Model!, prompts.Sum(p => p.Length), n, stream);
        var events = scheduler.Submit(prompts, parameters, n, adapter, ct);
        var reply = Reply.Create("cmpl", request.Model!, prompts.Sum(p => p.Length), prompts.Count * n, reasoningModel: false);
        // With echo, each choice starts with its prompt, as OpenAI's echo does.
        var echo = Enumerable.Range(0, reply.N).Select(i => request.Echo == true ? request.Prompt![i / n] : "").ToArray();
        var outcome = stream
            ? await StreamAsync(http, reply, events, echo, request.StreamOptions?.IncludeUsage == true, ct)
            : await AnswerAsync(http, reply, events, echo, ct);
        RequestActivity.Complete(activity, outcome.Usage, outcome.FinishReasons);
    }

    private static async Task<Outcome> AnswerAsync(HttpContext http, Reply reply, ChannelReader<GenerationEvent> events, string[] echo, CancellationToken ct)
    {
        var text = echo.Select(e => new StringBuilder(e)).ToArray();
        var tally = new ChoiceTally(reply);
        await foreach (var e in RequestEvents.ReadUntilAllEndAsync(events, reply.N, ct))
        {
            switch (e)
            {
                case TextDelta delta: text[e.Choice].Append(delta.Text); break;
                case Finished done: tally.Record(done); break;
                case Failed failed: throw Reply.EngineFailure(failed);
            }
        }
        var choices = Enumerable.Range(0, reply.N).Select(i => new TextChoice(text[i].ToString(), i, tally.FinishReasons[i])).ToList();
        await http.Response.WriteAsJsonAsync(new TextCompletion(reply.Id, reply.Created, reply.Model, choices, tally.Usage), OpenAiJson.Default.TextCompletion, cancellationToken: ct);
        return tally.Outcome;
    }

    private static async Task<Outcome> StreamAsync(HttpContext http, Reply reply, ChannelReader<GenerationEvent> events, string[] echo, bool includeUsage, CancellationToken ct)
    {
        var sse = new SseWriter(http.Response);
        await sse.StartAsync(ct);
        Task Send(int choice, string text, string? finishReason = null) =>
            sse.WriteAsync(new TextCompletion(reply.Id, reply.Created, reply.Model, [new TextChoice(text, choice, finishReason)], null),
                OpenAiJson.Default.TextCompletion, ct);

        for (var choice = 0; choice < reply.N; choice++)
            if (echo[choice].Length > 0) await Send(choice, echo[choice]);

        var tally = new ChoiceTally(reply);
        await foreach (var e in RequestEvents.ReadUntilAllEndAsync(events, reply.N, ct))
        {
            switch (e)
            {
                case TextDelta delta:
                    await Send(e.Choice, delta.Text);
                    break;
                case Finished done:
                    tally.Record(done);
                    await Send(e.Choice, "", done.Reason);
                    break;
                case Failed failed:
                    await sse.WriteErrorAsync(Reply.EngineFailure(failed).ToResponse(), ct);
                    return tally.Outcome;
            }
        }
        if (includeUsage)
            await sse.WriteAsync(new TextCompletion(reply.Id, reply.Created, reply.Model, [], tally.Usage), OpenAiJson.Default.TextCompletion, ct);
        await sse.DoneAsync(ct);
        return tally.Outcome;
    }
}
