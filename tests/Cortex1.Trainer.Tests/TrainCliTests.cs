using Cortex1.Data;
using Cortex1.Data.Storage;
using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.TestSupport;
using Cortex1.Trainer.Cli;
using Cortex1.Trainer.Runs;
using Npgsql;

namespace Cortex1.Trainer.Tests;

/// <summary>The <c>train</c> command in-process, configured through the environment as a user would.</summary>
public sealed class TrainCliTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), $"cortex1-train-cli-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, true);
    }

    /// <summary>A console that tells a listener of each line as it is written.</summary>
    private sealed class WatchedWriter(Action<string> onLine) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            onLine(value ?? "");
        }
    }

    private async Task<(int Code, string Out, string Err)> Run(string[] args, string? db, Action<string>? onLine = null, CancellationToken stop = default)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings__{ConnectionNames.Database}"] = db,
            [$"ConnectionStrings__{ConnectionNames.Blobs}"] = await AzuriteServer.GetConnectionStringAsync(),
            ["Trainer__CacheFolder"] = _cache,
        };
        var saved = settings.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        foreach (var (k, v) in settings) Environment.SetEnvironmentVariable(k, v);
        try
        {
            var (stdout, stderr) = (new WatchedWriter(onLine ?? (_ => { })), new StringWriter());
            var code = await TrainCli.RunAsync(args, stdout, stderr, stop);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        }
    }

    private static string[] Train(string name, string dataset, int grpo) =>
        ["train", "--name", name, "--dataset", dataset, "--version", "v1", "--base-model", "tiny", "--quantization", "none",
         "--grpo-steps", $"{grpo}", "--num-generations", "2", "--max-completion-length", "6", "--checkpoint-every", "1"];

    [Fact]
    public async Task Trains_shows_progress_publishes_the_adapter_and_a_rerun_reports_it_done()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var blobs = await AzuriteServer.CreateStoreAsync();
        var dataset = await TrainingData.UploadAsync(blobs);
        var name = $"cli-{dataset}";

        var (code, stdout, stderr) = await Run([.. Train(name, dataset, 2), "--sft-steps", "1", "--eval-every", "1", "--loss-type", "dapo", "--temperature", "0.7"], db.ConnectionString);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        Assert.Contains($"Training '{name}'", stdout);
        Assert.Contains("sft step 1/1: loss", stdout);
        Assert.Contains("grpo step 2/2: reward", stdout);
        Assert.Contains($"adapters/{name}", stdout);
        Assert.Contains($"{{\"lora_name\":\"{name}\"}}", stdout);   // how to serve it
        Assert.True(await blobs.ExistsAsync(BlobContainers.Adapters, $"{name}/adapter_model.safetensors"));
        Assert.Contains("held-out reward (base step 0)", stdout);
        Assert.Contains("held-out reward (grpo step 1)", stdout);   // --eval-every 1
        // The last line is key=value pairs for scripts, the held-out reward before, after SFT and after GRPO among them.
        var last = stdout.TrimEnd().Split('\n')[^1].Split(' ').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        foreach (var key in new[] { "eval_reward_before", "eval_reward_after_sft", "eval_reward_after" })
            Assert.InRange(double.Parse(last[key], System.Globalization.CultureInfo.InvariantCulture), 0, 1);
        Assert.Equal($"adapters/{name}", last["adapter"]);

        (code, stdout, _) = await Run(Train(name, dataset, 2), db.ConnectionString);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("was trained already", stdout);
        Assert.StartsWith("job=", stdout.TrimEnd().Split('\n')[^1]);   // a rerun ends with the same key=value line
        Assert.Contains("eval_reward_after=", stdout.TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public async Task Interrupted_it_gives_the_job_back_and_the_same_command_resumes_it()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var dataset = await TrainingData.UploadAsync(await AzuriteServer.CreateStoreAsync());
        var name = $"cli-{dataset}";

        using var ctrlC = new CancellationTokenSource();
        var (code, _, stderr) = await Run(Train(name, dataset, 3), db.ConnectionString,
            line => { if (line.Contains("grpo step 2/3", StringComparison.Ordinal)) ctrlC.Cancel(); }, ctrlC.Token);
        Assert.Equal(ExitCodes.Interrupted, code);
        Assert.Contains("run the same command again to resume", stderr);
        var store = new TrainingStore(db);
        var job = (await store.JobOfAsync(name, default))!.Value;
        await using (var cmd = db.CreateCommand($"SELECT status, attempts FROM jobs WHERE id = {job}"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await r.ReadAsync());
            Assert.Equal(("queued", 0), (r.GetString(0), r.GetInt32(1)));   // given back at once, no attempt spent
        }
        var before = await store.StepsAsync(job, default);

        // Rerun with another step count: the run keeps the settings its recorded steps were made with, and says so.
        var (resumed, stdout, err) = await Run(Train(name, dataset, 5), db.ConnectionString);
        Assert.True(resumed == ExitCodes.Ok, err + stdout);
        Assert.Contains($"Resuming '{name}' (job {job})", stdout);
        Assert.Contains("0 SFT + 3 GRPO steps", stdout);
        Assert.Contains("the options given now are ignored", err);
        Assert.DoesNotContain("grpo step 1/3", stdout);   // the checkpointed step is not trained again
        var steps = await store.StepsAsync(job, default);
        Assert.Equal(["grpo:0", "grpo:1", "grpo:2"], steps.Select(s => $"{s.Phase}:{s.Step}"));
        Assert.Equal(before.Select(s => s.Seconds), steps.Take(before.Count).Select(s => s.Seconds));
    }

    [Fact]
    public async Task Bad_configs_and_missing_settings_are_clear_errors()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var folder = Directory.CreateDirectory(Path.Combine(_cache, "configs")).FullName;
        var broken = Path.Combine(folder, "broken.json");
        await File.WriteAllTextAsync(broken, "{ \"name\": ");
        var good = Path.Combine(folder, "good.json");
        await File.WriteAllTextAsync(good, """{ "name": "from-config", "dataset": "nope", "version": "v1", "baseModel": "tiny", "grpoSteps": 1 }""");

        var (code, _, stderr) = await Run(["train", "--config", Path.Combine(folder, "absent.json")], db.ConnectionString);
        Assert.Equal((ExitCodes.BadInput, true), (code, stderr.Contains("No training config at")));

        (code, _, stderr) = await Run(["train", "--config", broken], db.ConnectionString);
        Assert.Equal((ExitCodes.BadInput, true), (code, stderr.Contains("is not a training run")));

        (code, _, stderr) = await Run(["train", "--dataset", "d", "--version", "v1"], db.ConnectionString);
        Assert.Equal((ExitCodes.BadInput, true), (code, stderr.Contains("name must be")));

        (code, _, stderr) = await Run(["train", "--config", good, "--num-generations", "1"], db.ConnectionString);
        Assert.Equal((ExitCodes.BadInput, true), (code, stderr.Contains("numGenerations must be at least 2")));

        (code, _, stderr) = await Run(["train", "--config", good], null);
        Assert.Equal((ExitCodes.BadInput, true), (code, stderr.Contains("ConnectionStrings:cortexdb is not set")));

        // snake_case (or any unknown field) is an error, not a silent default.
        var snake = Path.Combine(folder, "snake.json");
        await File.WriteAllTextAsync(snake, """{ "name": "s", "dataset": "d", "version": "v1", "num_generations": 8 }""");
        (code, _, stderr) = await Run(["train", "--config", snake], db.ConnectionString);
        Assert.Equal((ExitCodes.BadInput, true), (code, stderr.Contains("num_generations")));

        // A valid config whose data set is missing is refused before any job exists, so the name stays free.
        (code, _, stderr) = await Run(["train", "--config", good], db.ConnectionString);
        Assert.Equal((ExitCodes.BadInput, true), (code, stderr.Contains("No data set at datasets/nope/v1/train.jsonl")));
        Assert.Null(await new TrainingStore(db).JobOfAsync("from-config", default));
        (code, _, stderr) = await Run(["train", "--config", good, "--dataset", "nope", "--base-model", "no/such/folder"], db.ConnectionString);
        Assert.Equal(ExitCodes.BadInput, code);
    }

    [Fact]
    public async Task Stopped_by_a_signal_a_real_process_gives_the_job_back_before_it_exits()
    {
        // The command as a user runs it (its own process), stopped in the middle of training. SIGTERM (what docker,
        // systemd and Ctrl+C's handler path share): a process started in the background by a non-interactive shell, as
        // a CI runner may start this test, inherits SIGINT ignored, so SIGINT could not reach it here.
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var dataset = await TrainingData.UploadAsync(await AzuriteServer.CreateStoreAsync());
        var name = $"sig-{dataset}";
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(TrainCli).Assembly.Location);
        foreach (var arg in Train(name, dataset, 50)) start.ArgumentList.Add(arg);
        start.Environment[$"ConnectionStrings__{ConnectionNames.Database}"] = db.ConnectionString;
        start.Environment[$"ConnectionStrings__{ConnectionNames.Blobs}"] = await AzuriteServer.GetConnectionStringAsync();
        start.Environment["Trainer__CacheFolder"] = _cache;
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new System.Text.StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            stdout.AppendLine(line);
            if (line.Contains("grpo step 1/50", StringComparison.Ordinal)) break;
        }
        Assert.Contains("grpo step 1/50", stdout.ToString());
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", $"{process.Id}"])) await kill.WaitForExitAsync();
        var rest = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync(deadline.Token);

        Assert.True(process.ExitCode == ExitCodes.Interrupted, $"exit {process.ExitCode}: {await stderr}{stdout}{await rest}");
        Assert.Contains("Interrupted", await stderr);
        var job = (await new TrainingStore(db).JobOfAsync(name, default))!.Value;
        await using var cmd = db.CreateCommand($"SELECT status, attempts, locked_by FROM jobs WHERE id = {job}");
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal(("queued", 0, true), (r.GetString(0), r.GetInt32(1), r.IsDBNull(2)));
    }

    [Fact]
    public async Task A_mistyped_command_is_an_error_that_lists_the_commands_in_process_and_as_the_program()
    {
        var served = false;
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await ServiceCommands.RunAsync(["evla", "--help"], TrainerCommands.All,
            _ => { served = true; return Task.FromResult(ExitCodes.Ok); }, stdout, stderr);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.False(served);
        foreach (var command in new[] { "serve", "train", "bench" }) Assert.Contains($"  {command} ", stderr.ToString());

        // The program itself, as a user types it: it exits at once instead of starting the service and waiting.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { typeof(TrainCli).Assembly.Location, "evla", "--help" }) start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        var err = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);
        Assert.Equal(ExitCodes.BadInput, process.ExitCode);
        Assert.StartsWith("error: 'evla' is not a command.", await err);
        Assert.Contains("Usage: Cortex1.Trainer [command] [options]", await err);
        Assert.Equal("", await output);
    }

    [Fact]
    public void The_shipped_configs_are_valid_runs()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Cortex1.sln"))) root = root.Parent;
        var configs = Directory.GetFiles(Path.Combine(root!.FullName, "Cortex1.Trainer", "configs", "grpo"), "*.json");
        Assert.Contains(configs, c => c.EndsWith("financial_reasoning.json", StringComparison.Ordinal));
        foreach (var config in configs)
        {
            var request = System.Text.Json.JsonSerializer.Deserialize<TrainingRunRequest>(File.ReadAllText(config), System.Text.Json.JsonSerializerOptions.Web)!;
            Assert.True(request.Validate() is null, $"{config}: {request.Validate()}");
        }
    }

    [Theory]
    [InlineData("q4_0")]
    [InlineData("q8_0")]
    [InlineData("nf4_0")]
    public void A_run_over_a_serving_only_quantization_is_refused(string quantization)
    {
        var request = new TrainingRunRequest("run", "data", "v1", BaseModel: "tiny", Quantization: quantization);
        Assert.Contains("LoRA trains over these", request.Validate());
        Assert.Null((request with { Quantization = "nf4" }).Validate());
    }
}
