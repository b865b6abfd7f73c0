using Cortex1.Data.Jobs;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Teachers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cortex1.Synth.Tests;

/// <summary>The OpenAI-compatible teacher against a real HTTP server on loopback.</summary>
public class ChatTeacherTests
{
    private static readonly SynthTask Task0 = WindowPlanner.Build(EmbeddedMarket.History, 5, 0, seed: 1).Tasks[0];

    private static ServiceProvider Services(FakeOpenAi server, string? apiKey = FakeOpenAi.ApiKey, int maxConcurrency = 4) =>
        new ServiceCollection().AddLogging()
            .AddSynthTeachers(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Teacher:BaseUrl"] = server.BaseUrl.ToString(),
                ["Teacher:ApiKey"] = apiKey,
                ["Teacher:RetryBaseDelay"] = "00:00:00.010",
                ["Teacher:MaxRetries"] = "3",
                ["Teacher:MaxConcurrency"] = maxConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }).Build())
            .BuildServiceProvider();

    private static async Task<TeacherAnswer> Ask(FakeOpenAi server, string teacher = TeacherFactory.OpenRouter)
    {
        await using var services = Services(server);
        var t = services.GetRequiredService<TeacherFactory>().Create(teacher);
        try
        {
            return await t.AnswerAsync(Task0, "Analyse this.", CancellationToken.None);
        }
        finally
        {
            (t as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public async Task Reasoning_field_and_answer_are_both_kept_and_the_request_follows_R1_guidance()
    {
        await using var server = await FakeOpenAi.StartAsync(new FakeOpenAi.Reply(200, Content: "## Summary\nBTC is up.", Reasoning: "First, the close rose."));
        var answer = await Ask(server);

        Assert.Equal("First, the close rose.", answer.Reasoning);
        Assert.Equal("## Summary\nBTC is up.", answer.Answer);
        var call = Assert.Single(server.Calls);
        Assert.Equal($"Bearer {FakeOpenAi.ApiKey}", call.Authorization);
        Assert.Equal("deepseek/deepseek-r1", call.Body["model"]!.GetValue<string>());
        Assert.Equal(0.6, call.Body["temperature"]!.GetValue<double>(), 3);
        Assert.Equal(0.95, call.Body["top_p"]!.GetValue<double>(), 3);
        var message = Assert.Single(call.Body["messages"]!.AsArray());
        Assert.Equal("user", message!["role"]!.GetValue<string>()); // no system prompt
    }

    [Fact]
    public async Task Reasoning_content_field_is_kept()
    {
        await using var server = await FakeOpenAi.StartAsync(new FakeOpenAi.Reply(200, Content: "The answer.", ReasoningContent: "Thinking in reasoning_content."));
        var answer = await Ask(server, server.BaseUrl.ToString());
        Assert.Equal("Thinking in reasoning_content.", answer.Reasoning);
        Assert.Equal("The answer.", answer.Answer);
    }

    [Fact]
    public async Task Think_tags_are_split_from_the_answer()
    {
        await using var server = await FakeOpenAi.StartAsync(new FakeOpenAi.Reply(200, Content: "<think>\nStep 1: growth is 5%.\n</think>\n\n## Summary\nUp 5%."));
        var answer = await Ask(server, server.BaseUrl.ToString());
        Assert.Equal("Step 1: growth is 5%.", answer.Reasoning);
        Assert.Equal("## Summary\nUp 5%.", answer.Answer);
    }

    [Fact]
    public void A_missing_opening_think_tag_still_splits()
    {
        var (reasoning, answer) = ReasoningExtractor.SplitThinkTags("I reason here.</think>The report.");
        Assert.Equal("I reason here.", reasoning);
        Assert.Equal("The report.", answer);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_Retry_After_delay()
    {
        await using var server = await FakeOpenAi.StartAsync(
            new FakeOpenAi.Reply(429, RetryAfterSeconds: 1, ErrorMessage: "rate limited"),
            new FakeOpenAi.Reply(200, Content: "Answer after waiting.", Reasoning: "r"));
        var answer = await Ask(server);

        Assert.Equal("Answer after waiting.", answer.Answer);
        var calls = server.Calls.ToArray();
        Assert.Equal([429, 200], calls.Select(c => c.Status));
        // The backoff is configured at 10 ms: only honouring Retry-After explains a wait of about a second.
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromMilliseconds(950), $"waited only {(calls[1].At - calls[0].At).TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_402_stops_at_once_with_a_clear_permanent_error()
    {
        await using var server = await FakeOpenAi.StartAsync(new FakeOpenAi.Reply(402, ErrorMessage: "Insufficient credits"));
        var e = await Assert.ThrowsAsync<PermanentJobException>(() => Ask(server));
        Assert.Contains("402", e.Message);
        Assert.Contains("Payment Required", e.Message);
        Assert.DoesNotContain(FakeOpenAi.ApiKey, e.Message);
        Assert.Single(server.Calls); // not retried
    }

    [Fact]
    public async Task No_more_requests_are_in_flight_than_the_concurrency_limit()
    {
        await using var server = await FakeOpenAi.StartAsync(new FakeOpenAi.Reply(200, Content: "ok", Reasoning: "r", DelayMs: 300));
        await using var services = Services(server, maxConcurrency: 2);
        var teacher = services.GetRequiredService<TeacherFactory>().Create(TeacherFactory.OpenRouter);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => teacher.AnswerAsync(Task0, "Analyse this.", CancellationToken.None)));
        (teacher as IDisposable)?.Dispose();

        Assert.Equal(6, server.Calls.Count);
        Assert.Equal(2, server.MaxInFlight);
    }

    [Fact]
    public async Task OpenRouter_without_a_key_is_refused_before_any_request()
    {
        await using var server = await FakeOpenAi.StartAsync(new FakeOpenAi.Reply(200, Content: "x"));
        await using var services = Services(server, apiKey: null);
        var e = Assert.Throws<PermanentJobException>(() => services.GetRequiredService<TeacherFactory>().Create(TeacherFactory.OpenRouter));
        Assert.Contains("Teacher:ApiKey", e.Message);
        Assert.Empty(server.Calls);
    }
}
