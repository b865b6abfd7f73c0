using Cortex1.Domain;
using Cortex1.Model;
using Cortex1.Model.Baby;
using Cortex1.Model.Chat;
using Cortex1.Model.Generation;
using Cortex1.Model.Loading;
using Cortex1.Model.Tokenization;
using Cortex1.Rewards;
using Cortex1.Trainer.Evaluation;
using Cortex1.Trainer.Pretrain;
using static TorchSharp.torch;
using Generator = Cortex1.Model.Generation.Generator;

namespace Cortex1.Trainer.Tests;

/// <summary>The baby model's pretraining: a tiny shape on a tiny corpus, so each test takes seconds.</summary>
public class PretrainTests
{
    static readonly BabyShape TinyShape = new(Hidden: 32, Layers: 2, Heads: 2, KvHeads: 2, Intermediate: 96, VocabSize: 420, Context: 512);

    /// <summary>Report-like chats: the same sections every time, numbers that differ (like the offline analyst's).</summary>
    internal static List<TrainingExample> Corpus(int count) => [.. Enumerable.Range(0, count).Select(i =>
    {
        var days = Enumerable.Range(0, 5).Select(d => new MarketDay("bitcoin", new DateOnly(2021, 1, 1).AddDays(d),
            new Dictionary<string, double> { [MetricNames.CloseUsd] = 30000 + 517 * d + 13 * i }, "embedded")).ToList();
        var close = 30000 + 517 * 4 + 13 * i;
        var prompt = $"Analyse Bitcoin (BTC) from 2021-01-01 to 2021-01-05.\n| date | close_usd |\n" +
                     string.Join("\n", days.Select(d => $"| {d.Day:yyyy-MM-dd} | {d.Get(MetricNames.CloseUsd):N2} |")) +
                     "\nWrite ## Summary, ## Market Data and ## Forecast.";
        var answer = $"## Summary\nBitcoin (BTC) closed at ${close:N2} [close_usd] on 2021-01-05, up √365 ± {i}.\n" +
                     $"## Market Data\n- BTC close ${close:N2} [close_usd].\n## Forecast\n- 7-day price: 90% CI: [${close - 900:N2}, ${close + 900:N2}], point estimate ${close:N2}.";
        return new TrainingExample($"ex{i}", TaskKind.MarketAnalysis, MarketCondition.Bull, "bitcoin", days[0].Day, days[^1].Day,
            "offline-analyst/1", prompt, "", answer, new MarketContext([new MarketSeries("bitcoin", days)]),
            new ExampleReward(1, 1, null, new Dictionary<string, double>()), new Dictionary<string, string>());
    })];

    static PretrainOptions Tiny(int steps) => new()
    {
        Shape = TinyShape, Steps = steps, BatchSize = 1, SequenceLength = 300, LearningRate = 1e-2, WarmupSteps = 3, TokenizerSample = 20, LogEvery = 1000,
        ShortRequestFraction = 0,
    };

    static string TempFolder() => Path.Combine(Path.GetTempPath(), "cortex1-pretrain-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void Pretraining_lowers_the_loss_and_the_engine_loads_and_continues_the_chats()
    {
        var folder = TempFolder();
        try
        {
            var result = Pretrainer.Run(Corpus(12), Tiny(60), folder, _ => { });
            // Random weights predict ~ln(vocab) ≈ 6; without gradients reaching the weights the loss stays there.
            Assert.True(result.FinalLoss < result.FirstLoss - 2, $"loss {result.FirstLoss:F3} → {result.FinalLoss:F3}");
            Assert.Equal(60, result.Steps);

            // fp32 as trained: on a CPU with native bf16 the engine's default is bf16, and after 60 steps the first
            // heading is a near tie that bf16's rounding can flip (seen on an AVX-512-BF16 machine).
            using var model = LanguageModel.Load(folder, new LoadOptions(Quantization.None, ScalarType.Float32));
            Assert.Equal("llama", model.Config.ModelType);
            Assert.IsType<Llama3ChatTemplate>(model.ChatTemplate);
            var prompt = model.Tokenizer.Encode(model.ChatTemplate.Render([new ChatMessage("user", Corpus(13)[12].Prompt)], addGenerationPrompt: true));
            var answer = new Generator(model).GenerateBatch([new GenerationRequest(prompt, SamplingOptions.Greedy, 24)])[0];
            Assert.StartsWith("## Summary", answer.Text);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// <c>--init</c>: a run continued from a pretrained folder keeps its tokenizer and starts at its loss (a fresh start
    /// is back at ~ln(vocab)), and zero learning rate leaves every weight as it was.
    /// </summary>
    [Fact]
    public void A_run_continued_from_a_folder_starts_from_its_weights_and_tokenizer()
    {
        var (first, second, third) = (TempFolder(), TempFolder(), TempFolder());
        try
        {
            var trained = Pretrainer.Run(Corpus(12), Tiny(60), first, _ => { });
            var continued = Pretrainer.Run(Corpus(12), Tiny(5) with { InitFrom = first, Shape = new BabyShape() }, second, _ => { });
            Assert.True(continued.FirstLoss < trained.FirstLoss - 2, $"continued from {continued.FirstLoss:F3}, a fresh run from {trained.FirstLoss:F3}");
            Assert.True(Math.Abs(continued.FirstLoss - trained.FinalLoss) < 0.5, $"continued from {continued.FirstLoss:F3}, the first run ended at {trained.FinalLoss:F3}");
            Assert.Equal(File.ReadAllText(Path.Combine(first, "tokenizer.json")), File.ReadAllText(Path.Combine(second, "tokenizer.json")));
            Assert.Equal(ModelConfigJson(first), ModelConfigJson(second));

            // A frozen continuation (no learning rate to speak of) writes the same weights back.
            Pretrainer.Run(Corpus(12), Tiny(1) with { InitFrom = first, LearningRate = 1e-30, WarmupSteps = 1 }, third, _ => { });
            using var a = new SafeTensorsFile(Path.Combine(first, "model.safetensors"));
            using var b = new SafeTensorsFile(Path.Combine(third, "model.safetensors"));
            Assert.Equal(a.Tensors.Keys.Order(), b.Tensors.Keys.Order());
            foreach (var name in a.Tensors.Keys)
            {
                using var x = a.Read(name);
                using var y = b.Read(name);
                Assert.True(x.allclose(y, rtol: 0, atol: 1e-6), name);
            }
        }
        finally
        {
            foreach (var f in new[] { first, second, third })
                if (Directory.Exists(f)) Directory.Delete(f, recursive: true);
        }
    }

    static string ModelConfigJson(string folder) => File.ReadAllText(Path.Combine(folder, "config.json"));

    /// <summary>The weights Cortex1.Model carries are the pretrained baby model, not random ones: its loss on a report of
    /// the teacher's it never saw is far below a uniform guess over its vocabulary (random weights sit at about ln(vocab)).
    /// (The test's own toy reports are no measure: a baby trained longer on the real ones reads them worse.)</summary>
    [Fact]
    public void The_embedded_baby_model_is_pretrained()
    {
        using var model = LanguageModel.Load(EmbeddedBaby.Folder(Path.Combine(Path.GetTempPath(), "cortex1-pretrain-tests")), new LoadOptions(Quantization.None));
        Assert.StartsWith(BabyModel.Name, Path.GetFileName(model.Folder));
        Assert.Equal("llama", model.Config.ModelType);
        Assert.IsType<Llama3ChatTemplate>(model.ChatTemplate);
        // A report the offline analyst wrote for an eval window (Solana, 2021-01-01 to 2021-01-08: after every window the
        // baby was pretrained on), its Summary and Market Data, asked for in one line as a fifth of the corpus is.
        var report = new TrainingExample("held-out", TaskKind.MarketAnalysis, MarketCondition.Bull, "solana", new DateOnly(2021, 1, 1), new DateOnly(2021, 1, 8),
            "offline-analyst/1", "Give me a market analysis of Solana.", "",
            "## Summary\nSolana (SOL) closed the window at $3.220 [close_usd] on 2021-01-08, having gained 74.80% [price_growth_7d] in the last week. " +
            "The window is labelled bull: over 8 days price moved 74.81% and realised volatility is 11.64% [volatility_30d] per day. " +
            "The bootstrap puts the 7-day 90% range at $2.801 to $11.23, so position sizing should stay small.\n## Market Data\n" +
            "- SOL close $3.220 [close_usd], intraday high $3.779 [high_usd], low $2.181 [low_usd].\n- SOL trading volume $206,412,154.24 [volume_usd].\n" +
            "- 7-day volume growth 461.79% [volume_growth_7d]; 30-day volatility 11.64% [volatility_30d] per day.",
            new MarketContext([]), new ExampleReward(1, 1, null, new Dictionary<string, double>()), new Dictionary<string, string>());
        var chat = PretrainCorpus.Chat(report);
        var ids = model.Tokenizer.Encode(chat).Select(i => (long)i).ToArray();
        using var input = tensor(ids[..^1], [1, ids.Length - 1], ScalarType.Int64);
        using var targets = tensor(ids[1..], [ids.Length - 1], ScalarType.Int64);
        // The engine's default dtype (bf16 on a CPU with native bf16), read as fp32.
        using var logits = model.Forward(input).to(ScalarType.Float32);
        using var loss = nn.functional.cross_entropy(logits.view(ids.Length - 1, -1), targets);
        var nll = loss.item<float>();
        Assert.True(nll < Math.Log(model.Config.VocabSize) - 1.5, $"loss {nll:F3} nats per token, ln(vocab) = {Math.Log(model.Config.VocabSize):F3}");
    }

    /// <summary>fp32 to 1e-4 (the layout); bf16 — the engine's default on CPUs with native bf16 — within its rounding
    /// (8 bits of mantissa: ~0.4 % of each value, measured 0.0024 on these logits).</summary>
    [Theory]
    [InlineData("fp32", 1e-4)]
    [InlineData("bf16", 2e-2)]
    public void The_engine_computes_the_same_logits_as_the_trainable_model(string dtype, double tolerance)
    {
        var folder = TempFolder();
        try
        {
            var tokenizer = BabyModel.TrainTokenizer(Corpus(4).Select(PretrainCorpus.Chat), TinyShape.VocabSize);
            var config = BabyModel.Config(TinyShape, tokenizer) with { NumKvHeads = 1 };
            using var baby = new BabyLlama(config, seed: 7);
            var weights = baby.Export();
            BabyModel.Write(folder, config, tokenizer, weights);
            foreach (var (_, t) in weights) t.Dispose();

            Assert.True(DTypeName.TryParse(dtype, out var type));
            using var model = LanguageModel.Load(folder, new LoadOptions(Quantization.None, type));
            using var ids = tensor(new long[] { 5, 17, 300, 42, 9, 256, 77, 3, 120, 64 }, [1, 10], ScalarType.Int64);
            using var expected = baby.Forward(ids);
            using var actual = model.Forward(ids).to(ScalarType.Float32);
            Assert.Equal(expected.shape, actual.shape);
            var gap = (expected - actual).abs().max().item<float>();
            Assert.True(gap < tolerance, $"largest logit difference {gap} ({dtype})");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A request without a budget gets the default one (the ≤ 10-minute promise); 0 turns it off.</summary>
    [Fact]
    public void Pretraining_has_a_time_budget_by_default_and_zero_removes_it()
    {
        Assert.Equal(570, new PretrainRequest().Options().MaxSeconds);
        Assert.Equal(120, new PretrainRequest(MaxSeconds: 120).Options().MaxSeconds);
        Assert.Null(new PretrainRequest(MaxSeconds: 0).Options().MaxSeconds);
        Assert.Null(new PretrainRequest(MaxSeconds: 0).Validate());
        Assert.Contains("not a model folder", new PretrainRequest(Init: "/no/such/folder").Validate());
        Assert.NotNull(new PretrainRequest(MaxSeconds: -5).Validate());
    }

    /// <summary>The request's loss choice reaches the options (the API's and the CLI's <c>--answer-only-loss</c>).</summary>
    [Fact]
    public void The_answer_only_loss_is_off_by_default_and_the_request_turns_it_on()
    {
        Assert.False(new PretrainRequest().Options().AnswerOnlyLoss);
        Assert.True(new PretrainRequest(AnswerOnlyLoss: true).Options().AnswerOnlyLoss);
    }

    /// <summary>The report starts where the slice says: decoding from there gives the assistant's text, and everything before it is the prompt.</summary>
    [Fact]
    public void A_chats_answer_start_is_the_first_token_of_the_report()
    {
        var examples = Corpus(6);
        var chats = examples.Select(PretrainCorpus.Chat).ToList();
        var tokenizer = BabyModel.Tokenizer(BabyModel.TrainTokenizer(chats, 420));
        var corpus = new PretrainCorpus(chats, tokenizer);
        for (var i = 0; i < chats.Count; i++)
        {
            var (tokens, start) = corpus.Slice(i, int.MaxValue, fromStart: true);
            Assert.StartsWith(examples[i].Answer, tokenizer.Decode([.. tokens[start..].Select(t => (int)t)]));
            Assert.EndsWith("<|end_header_id|>\n\n", tokenizer.Decode([.. tokens[..start].Select(t => (int)t)]));
            // A window cut from the end keeps the whole report; one that starts inside it counts from 0.
            var tail = corpus.Slice(i, tokens.Length - start + 3, fromStart: false);
            Assert.Equal(3, tail.AnswerStart);
            Assert.Equal(0, corpus.Slice(i, 5, fromStart: false).AnswerStart);
        }
    }

    /// <summary>
    /// With a first target, the loss is the mean cross-entropy of the report's tokens only (computed here token by token),
    /// not the whole window's.
    /// </summary>
    [Fact]
    public void The_answer_only_loss_averages_over_the_reports_tokens_only()
    {
        var tokenizer = BabyModel.TrainTokenizer(Corpus(4).Select(PretrainCorpus.Chat), TinyShape.VocabSize);
        var config = BabyModel.Config(TinyShape, tokenizer);
        using var baby = new BabyLlama(config, seed: 3);
        long[] ids = [5, 17, 300, 42, 9, 256, 77, 3, 120, 64, 11, 200];
        const int first = 7;
        using var window = tensor(ids, [1, ids.Length], ScalarType.Int64);
        using var logits = baby.Forward(window.narrow(1, 0, ids.Length - 1));
        using var logProbs = logits.log_softmax(-1);
        double manual = 0;
        for (var j = first; j < ids.Length; j++) manual -= logProbs[0, j - 1, ids[j]].item<float>();
        manual /= ids.Length - first;
        using var answerOnly = baby.Loss(window, first);
        using var all = baby.Loss(window);
        Assert.Equal(manual, answerOnly.item<float>(), 4);
        Assert.NotEqual(all.item<float>(), answerOnly.item<float>(), 3);
    }

    [Fact]
    public void The_tokenizer_round_trips_the_corpus_and_the_engine_reads_it_the_same()
    {
        var chats = Corpus(8).Select(PretrainCorpus.Chat).ToList();
        var json = BabyModel.TrainTokenizer(chats.Take(4), 420);
        var tokenizer = BabyModel.Tokenizer(json);
        var folder = TempFolder();
        try
        {
            var config = BabyModel.Config(TinyShape, json);
            using var baby = new BabyLlama(config, seed: 1);
            var weights = baby.Export();
            BabyModel.Write(folder, config, json, weights);
            foreach (var (_, t) in weights) t.Dispose();
            var loaded = TextTokenizer.Load(folder);
            string[] unseen = ["Ethereum (ETH) fell –3.75% to $1,312.22 [close_usd]; π ≈ 3.14159, ₿ ✓ 日本", "  \n\n\t spaces "];
            foreach (var text in chats.Concat(unseen))
            {
                var ids = tokenizer.Encode(text);
                Assert.Equal(text, tokenizer.Decode(ids));
                Assert.Equal(ids, loaded.Encode(text));
            }
            // The template's markers are single special tokens, and learned merges make the text shorter than its bytes.
            var chat = tokenizer.Encode(chats[5]);
            Assert.Equal(BabyModel.SpecialId(json, BabyModel.BeginOfText), chat[0]);
            Assert.Equal(BabyModel.SpecialId(json, BabyModel.EndOfTurn), chat[^1]);
            Assert.True(chat.Length < System.Text.Encoding.UTF8.GetByteCount(chats[5]) / 2, $"{chat.Length} tokens");
            // Llama 3's (cl100k's) split, the one llama.cpp runs as "llama-bpe": digit groups of at most three, punctuation apart.
            Assert.Equal(TextTokenizer.Cl100kPattern, BabyModel.Pattern);
            Assert.Equal(["1", ",", "312", ".", "22", " ", "123", "456", "7"], System.Text.RegularExpressions.Regex.Matches("1,312.22 1234567", BabyModel.Pattern).Select(m => m.Value));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_learning_rate_warms_up_then_follows_a_cosine_to_a_tenth()
    {
        var o = new PretrainOptions { Steps = 111, WarmupSteps = 10, LearningRate = 1e-3 };
        Assert.Equal(1e-4, o.LearningRateAt(0), 12);
        Assert.Equal(1e-3, o.LearningRateAt(9), 12);
        Assert.Equal(1e-3, o.LearningRateAt(10), 12);
        // Half way through the decay: cos(π/2) = 0, so the mean of peak and floor.
        Assert.Equal((1e-3 + 1e-4) / 2, o.LearningRateAt(60), 12);
        Assert.Equal(1e-4, o.LearningRateAt(110), 12);
    }

    [Fact]
    public void The_standard_error_is_the_sample_deviation_over_root_n()
    {
        var m = MeanWithError.Of([0.2, 0.4, 0.9]);
        Assert.Equal(0.5, m.Mean, 12);
        // Deviations −0.3, −0.1, 0.4: sample variance (0.09 + 0.01 + 0.16) / 2 = 0.13; SE = √(0.13 / 3).
        Assert.Equal(Math.Sqrt(0.13 / 3), m.StandardError, 12);
        Assert.Equal(3, m.Count);
    }

    /// <summary><c>eval-reward --answers</c> writes one JSON line per eval example with the answer, its reward and the truth gate's count, the same figures its key=value line averages.</summary>
    [Fact]
    public async Task Eval_reward_writes_each_answer_with_its_reward_and_truth_count()
    {
        var folder = TempFolder();
        try
        {
            Pretrainer.Run(Corpus(8), Tiny(5), folder, _ => { });
            var input = Path.Combine(folder, "eval.jsonl");
            var answers = Path.Combine(folder, "answers.jsonl");
            await File.WriteAllLinesAsync(input, Corpus(11).Skip(8).Select(DatasetJson.ToLine));
            var stdout = new StringWriter();
            var code = await EvalRewardCli.RunAsync(["eval-reward", "--model", folder, "--input", input, "--max-tokens", "24", "--answers", answers], stdout, new StringWriter());
            Assert.Equal(0, code);
            var lines = (await File.ReadAllLinesAsync(answers)).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(["ex8", "ex9", "ex10"], lines.Select(l => l.GetProperty("id").GetString()));
            Assert.All(lines, l => Assert.False(string.IsNullOrEmpty(l.GetProperty("truthExplanation").GetString())));
            Assert.All(lines, l => Assert.InRange(l.GetProperty("truth").GetDouble(), 0, 1));
            var mean = lines.Average(l => l.GetProperty("reward").GetDouble());
            Assert.Contains(FormattableString.Invariant($"eval_reward={mean:F4} "), stdout.ToString());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_held_out_reward_scores_each_greedy_answer_against_its_own_market()
    {
        var folder = TempFolder();
        try
        {
            Pretrainer.Run(Corpus(8), Tiny(5), folder, _ => { });
            using var model = LanguageModel.Load(folder, new LoadOptions(Quantization.None));
            var eval = Corpus(11).Skip(8).ToList();
            var rewards = new RewardSystem();
            var result = HeldOutReward.Evaluate(model, eval, rewards, maxTokens: 48, batchSize: 2);
            Assert.Equal(3, result.Answers.Count);
            for (var i = 0; i < eval.Count; i++)
            {
                var score = rewards.Score(result.Answers[i].Answer, new RewardContext(eval[i].Market, eval[i].Kind));
                Assert.Equal(score.Total, result.Answers[i].Reward, 12);
                Assert.Equal(score.Truth, result.Answers[i].Truth, 12);
                Assert.Equal(score.TruthExplanation, result.Answers[i].TruthExplanation);
            }
            Assert.Equal(result.Answers.Average(a => a.Reward), result.Total.Mean, 12);
            Assert.Equal(RewardComponents.All.Count, result.Components.Count);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A time budget ends the run before its steps, and the cosine reaches its floor when the budget is spent.</summary>
    [Fact]
    public void The_time_budget_stops_the_run_and_ends_the_schedule()
    {
        var options = Tiny(100_000) with { MaxSeconds = 2 };
        Assert.Equal(options.LearningRate * options.MinLearningRateFraction, options.LearningRateAt(50, budgetSpent: 1), 12);
        // Halfway through the budget, the cosine is halfway down, whatever the step count says.
        var halfway = options.LearningRateAt(50, budgetSpent: 0.5);
        Assert.Equal((options.LearningRate + options.LearningRate * options.MinLearningRateFraction) / 2, halfway, 12);
        Assert.Equal(options.LearningRateAt(50), options.LearningRateAt(50, budgetSpent: 0), 12);
        var folder = TempFolder();
        try
        {
            var result = Pretrainer.Run(Corpus(8), options, folder, _ => { });
            Assert.InRange(result.Steps, 1, 99_999);
            Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A share of the chats put the report after a one-line request, so the served model answers a chat
    /// user's question with a report; the rest keep the data prompt.</summary>
    [Fact]
    public void Short_requests_ask_for_the_report_in_one_line()
    {
        var e = Corpus(1)[0];
        Assert.Equal("Give me a market analysis of Ethereum.", PretrainCorpus.ShortRequest(TaskKind.MarketAnalysis, "ethereum"));
        var chat = PretrainCorpus.ShortChat(e);
        Assert.Equal(BabyModel.ChatTemplate.Render([new ChatMessage("user", "Give me a market analysis of Bitcoin."), new ChatMessage("assistant", e.Answer)], addGenerationPrompt: false), chat);
        Assert.DoesNotContain("| date |", chat);
        Assert.Contains("| date |", PretrainCorpus.Chat(e));
        Assert.All(Enum.GetValues<TaskKind>(), k => Assert.Contains("Solana", PretrainCorpus.ShortRequest(k, "solana")));
    }
}
