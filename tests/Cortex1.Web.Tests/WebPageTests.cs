using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cortex1.Inference;
using Cortex1.Inference.Serve;
using Cortex1.Inference.Tests;
using Cortex1.Model.Tiny;
using Cortex1.TestSupport;
using Cortex1.Trainer.Runs;
using Xunit.Abstractions;
using Microsoft.AspNetCore.Builder;
using OpenQA.Selenium;

namespace Cortex1.Web.Tests;

/// <summary>
/// The Inference web page in headless chromium against a real server on 127.0.0.1 (<c>serve</c>: a tiny
/// DeepSeek-R1-style model that thinks before it answers, a LoRA adapter, a reports folder with a training report's real
/// plots and an evaluation report). What the page shows is checked against what the API answers to the same request.
/// </summary>
public sealed partial class WebPageTests(Browser browser, ITestOutputHelper output) : IClassFixture<Browser>
{
    private static readonly string Cache = TestRun.Folder("web-inference");

    /// <summary>Untied output head: with tied random embeddings the model only repeats its last token.</summary>
    private static readonly Lazy<string> ModelFolder = new(() =>
    {
        var folder = Path.Combine(Cache, "r1-tiny");
        TinyModel.Create(folder, "qwen2", seed: 5, new TinyModelOptions(TieWordEmbeddings: false));
        return folder;
    });

    private const string Prompt = "Should I buy ETH this week?";
    /// <summary>Long enough that the answer takes longer to generate than the page takes to start reading it, so the page
    /// shows it in pieces even on a fast machine; the adapter's answer (streaming already seen) is shorter.</summary>
    private const int MaxTokens = 96, AdapterMaxTokens = 16;

    /// <summary>The server as <c>serve</c> runs it, on a free 127.0.0.1 port.</summary>
    private sealed class Server(WebApplication app) : IAsyncDisposable
    {
        public Uri Url { get; } = new(app.Urls.First().TrimEnd('/') + "/");

        public static async Task<Server> StartAsync(ServeOptions serve, string? apiKey = null)
        {
            var settings = new Dictionary<string, string?> { ["Inference:CacheFolder"] = Cache, ["Logging:LogLevel:Default"] = "Warning" };
            if (apiKey is not null) settings["Inference:ApiKey"] = apiKey;
            var app = InferenceApp.Build(serve with { Port = 0 }, settings);
            await app.StartAsync();
            return new Server(app);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The reports as the Trainer lays them out: a training run's four plots, an evaluation's text and a plot.</summary>
    private static string WriteReports()
    {
        var root = TestRun.Folder($"web-reports-{Guid.NewGuid():N}");
        var steps = Enumerable.Range(0, 6).Select(i => new TrainingStepRow("sft", i, 3.0 - 0.3 * i, null, null, 0.1))
            .Concat(Enumerable.Range(0, 6).Select(i => new TrainingStepRow("grpo", i, 0.2, 0.1 + 0.05 * i, 0.01 * i, 0.2)
            {
                RewardComponents = new Dictionary<string, double> { ["format"] = 0.5 + 0.05 * i, ["forecast"] = 0.1 * i },
            })).ToList();
        var evals = new[] { new TrainingEvalRow("base", 0, 0.10, 0.02, 8, new Dictionary<string, double>()), new TrainingEvalRow("grpo", 6, 0.30, 0.03, 8, new Dictionary<string, double>()) };
        var training = Path.Combine(root, "training", "cortex1-analyst");
        TrainingReport.Write(training, steps, evals);
        var eval = Directory.CreateDirectory(Path.Combine(root, "eval", "7")).FullName;
        File.Copy(Path.Combine(training, "eval.png"), Path.Combine(eval, "calibration.png"));
        File.WriteAllText(Path.Combine(eval, "report.md"), """
            # Evaluation 7: analyst

            Data set `cortex1-market-small/offline-s42`, split `eval`, **greedy**.

            | component | mean |
            | --- | --- |
            | format | 0.550 |
            | **composite** | **0.300** |

            ![calibration](calibration.png)
            """);
        return root;
    }

    private static async Task<(string Reasoning, string Content, int Tokens)> AnswerAsync(HttpClient http, string model, int maxTokens = MaxTokens)
    {
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(JsonSerializer.Serialize(new
        {
            model, messages = new[] { new { role = "user", content = Prompt } }, max_tokens = maxTokens, temperature = 0,
        }), Encoding.UTF8, "application/json"));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var message = json.GetProperty("choices")[0].GetProperty("message");
        return (message.GetProperty("reasoning_content").GetString() ?? "", message.GetProperty("content").GetString() ?? "",
            json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    private IWebElement LastAnswer => browser.Driver.FindElements(By.CssSelector(".msg.assistant")).Last();

    /// <summary>
    /// Sends <see cref="Prompt"/> from the page and returns what it showed, with every state of the reasoning and answer
    /// text seen while the answer streamed in (a MutationObserver records them in the page).
    /// </summary>
    private (string Reasoning, string Content, string Stats, List<string> Seen) Chat(string model, int maxTokens = MaxTokens)
    {
        var d = browser.Driver;
        d.FindElement(By.CssSelector($"#model option[value='{model}']")).Click();
        var max = d.FindElement(By.Id("max-tokens"));
        max.Clear();
        max.SendKeys(maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
        browser.Script("""
            window.__seen = [];
            new MutationObserver(() => {
              const last = [...document.querySelectorAll('.msg.assistant')].pop();
              if (last && last.classList.contains('streaming'))
                window.__seen.push(last.querySelector('.reasoning-text').textContent + '\u0001' + last.querySelector('.answer').textContent);
            }).observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true });
            """);
        d.FindElement(By.Id("prompt")).SendKeys(Prompt);
        d.FindElement(By.Id("send")).Click();
        browser.WaitFor(_ => LastAnswer.GetDomAttribute("data-done") == "true", "the answer finished");
        var last = LastAnswer;
        Assert.Empty(last.FindElements(By.CssSelector(".error")));
        var seen = ((IEnumerable<object>)browser.Script("return window.__seen")!).Select(o => (string)o).ToList();
        return ((string)browser.Script("return arguments[0].querySelector('.reasoning-text').textContent", last)!,
            (string)browser.Script("return state.history[state.history.length - 1].content")!,
            last.FindElement(By.CssSelector(".stats")).Text, seen);
    }

    private static void AssertStreamed(List<string> seen, string reasoning, string content)
    {
        // The text grew step by step, each state a beginning of the final one: streamed, not pasted at the end.
        var final = reasoning + "\u0001" + content;
        var distinct = seen.Distinct().ToList();
        Assert.True(distinct.Any(s => s != final && s != "\u0001"),
            $"no state between nothing and the whole answer was seen while streaming: lengths {string.Join(", ", distinct.Select(s => s.Length))}");
        foreach (var s in distinct)
        {
            var (r, c) = (s[..s.IndexOf('\u0001')], s[(s.IndexOf('\u0001') + 1)..]);
            Assert.StartsWith(r, reasoning);
            Assert.StartsWith(c, content);
        }
        Assert.True(distinct.Select(s => s.Length).Zip(distinct.Skip(1).Select(s => s.Length)).All(p => p.First <= p.Second), "the text shrank while streaming");
    }

    [GeneratedRegex(@"^(\d+) tokens · (\d+\.\d) tokens/s · first token \d+ ms")]
    private static partial Regex StatsLine();

    [Fact]
    public async Task The_page_chats_with_the_model_and_its_adapter_streaming_the_reasoning_apart_and_shows_the_reports_with_their_plots()
    {
        var modelFolder = ModelFolder.Value;
        var adapter = TestAdapters.Create(modelFolder, Path.Combine(Cache, $"adapter-{Guid.NewGuid():N}"), seed: 31);
        var reports = WriteReports();
        await using var server = await Server.StartAsync(ServeOptions.Parse(["--model", modelFolder, "--served-model-name", "r1-tiny", "--adapter", $"analyst={adapter}", "--reports", reports]));
        var url = server.Url;
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(5) };

        var d = browser.Driver;
        d.Navigate().GoToUrl(url);
        // The picker fills from /v1/models: the base model, then the adapter once it is loaded (a reload picks it up).
        browser.WaitFor(_ =>
        {
            var options = d.FindElements(By.CssSelector("#model option")).Select(o => o.GetDomProperty("value")).ToList();
            if (options.Count < 2) d.Navigate().Refresh();
            return options.SequenceEqual(["r1-tiny", "analyst"]);
        }, "both models in the picker");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Mark(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds:F2} s  {what}");
        Mark("page loaded with both models");
        var expected = await AnswerAsync(http, "r1-tiny");
        Mark("API answer");
        Assert.NotEmpty(expected.Reasoning);   // a thinking model: the page must have something to show apart
        var shown = Chat("r1-tiny");
        Mark("page answer");
        browser.Screenshot("chat");
        Assert.Equal(expected.Reasoning, shown.Reasoning);
        Assert.Equal(expected.Content, shown.Content);
        AssertStreamed(shown.Seen, expected.Reasoning, expected.Content);
        var stats = StatsLine().Match(shown.Stats);
        Assert.True(stats.Success, shown.Stats);
        Assert.Equal(expected.Tokens, int.Parse(stats.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(double.Parse(stats.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Null(LastAnswer.FindElement(By.CssSelector(".reasoning")).GetDomAttribute("hidden"));   // shown, apart from the answer

        // The adapter, in a new chat: its own answer, as the API gives it.
        d.FindElement(By.Id("clear")).Click();
        var tuned = await AnswerAsync(http, "analyst", AdapterMaxTokens);
        var untuned = await AnswerAsync(http, "r1-tiny", AdapterMaxTokens);
        Assert.NotEqual((untuned.Reasoning, untuned.Content), (tuned.Reasoning, tuned.Content));
        var shownTuned = Chat("analyst", AdapterMaxTokens);
        Assert.Equal(tuned.Reasoning, shownTuned.Reasoning);
        Assert.Equal(tuned.Content, shownTuned.Content);
        Assert.Equal("analyst", LastAnswer.FindElement(By.CssSelector(".who")).Text);

        Mark("adapter answers");
        // Reports: the evaluation's Markdown rendered with its plot, then the training run's four plots, all decoded.
        d.FindElement(By.Id("tab-reports")).Click();
        browser.WaitFor(_ => d.FindElements(By.CssSelector(".report-item")).Count == 2, "two reports listed");
        d.FindElement(By.CssSelector(".report-item[data-id='eval/7']")).Click();
        browser.WaitFor(_ => d.FindElement(By.Id("report-view")).GetDomAttribute("data-loaded") == "true" && d.FindElement(By.Id("report-view")).GetDomAttribute("data-report") == "eval/7", "the evaluation report");
        var view = d.FindElement(By.Id("report-view"));
        Assert.Equal("Evaluation 7: analyst", view.FindElement(By.CssSelector("h1")).Text);
        Assert.Equal(["component", "mean"], view.FindElements(By.CssSelector("table th")).Select(t => t.Text));
        Assert.Equal("composite", view.FindElement(By.CssSelector("table tbody tr:last-child td strong")).Text);
        AssertImagesLoaded(1);
        browser.Screenshot("eval-report");

        // The address the dashboard links to opens a report directly.
        d.Navigate().GoToUrl(new Uri(url, "#reports/training/cortex1-analyst"));
        browser.WaitFor(_ => d.FindElement(By.Id("report-view")).GetDomAttribute("data-report") == "training/cortex1-analyst"
            && d.FindElement(By.Id("report-view")).GetDomAttribute("data-loaded") == "true", "the training report");
        AssertImagesLoaded(TrainingReport.Files.Count);
        Mark("reports");
        browser.Screenshot("training-report");
        Assert.Equal(TrainingReport.Files.Order(StringComparer.Ordinal), d.FindElements(By.CssSelector("#report-view figcaption")).Select(f => f.Text));
    }

    /// <summary>Every image of the open report was fetched and decoded at the size the Trainer drew it.</summary>
    private void AssertImagesLoaded(int count)
    {
        var sizes = browser.WaitFor(_ =>
        {
            var list = ((IEnumerable<object>)browser.Script("return [...document.querySelectorAll('#report-view img')].map(i => i.complete ? i.naturalWidth : -1)")!)
                .Select(Convert.ToInt64).ToList();
            return list.Count == count && list.All(w => w >= 0) ? list : null;
        }, $"{count} images loaded");
        Assert.All(sizes, w => Assert.Equal(TrainingReport.Width, w));
    }

    [Fact]
    public async Task With_an_api_key_the_page_asks_for_it_keeps_it_and_asks_again_when_it_is_refused()
    {
        const string key = "page-key-4f2a";
        await using var server = await Server.StartAsync(ServeOptions.Parse(["--model", ModelFolder.Value, "--served-model-name", "r1-tiny"]), apiKey: key);
        var url = server.Url;
        var d = browser.Driver;
        d.Navigate().GoToUrl(url);
        bool DialogOpen() => (bool)browser.Script("return document.getElementById('key-dialog').open")!;
        browser.WaitFor(_ => DialogOpen(), "the API key dialog");
        browser.Screenshot("api-key");

        d.FindElement(By.Id("key-input")).SendKeys("wrong-key");
        d.FindElement(By.Id("key-save")).Click();
        browser.WaitFor(_ => DialogOpen() && d.FindElement(By.Id("key-reason")).Text.Contains("refused", StringComparison.Ordinal), "the refused-key prompt");
        var input = d.FindElement(By.Id("key-input"));
        input.Clear();
        input.SendKeys(key);
        d.FindElement(By.Id("key-save")).Click();
        browser.WaitFor(_ => d.FindElements(By.CssSelector("#model option")).Select(o => o.GetDomProperty("value")).SequenceEqual(["r1-tiny"]), "the model listed");
        Assert.Equal(key, browser.Script("return localStorage.getItem('cortex1.apiKey')"));

        // Kept: a new visit goes straight to the models.
        d.Navigate().Refresh();
        browser.WaitFor(_ => d.FindElements(By.CssSelector("#model option")).Count == 1, "the model listed after a reload");
        Assert.False(DialogOpen());
    }
}
