using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cortex1.Inference.Serve;
using Cortex1.Model.Tiny;
using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.TestSupport;

namespace Cortex1.Inference.Tests;

/// <summary><c>serve</c>: the server alone, with no PostgreSQL and no blob storage configured.</summary>
public sealed class ServeTests
{
    private static readonly string TinyFolder = TinyModel.Embedded(InferenceServer.CacheFolder);

    private static async Task<string> GreedyAsync(HttpClient http, string model)
    {
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(JsonSerializer.Serialize(new
        {
            model, messages = new[] { new { role = "user", content = "Is this a bull market?" } }, max_tokens = 8, temperature = 0, ignore_eos = true,
        }), System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(model, json.GetProperty("model").GetString());
        return json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    private static async Task<List<string>> ModelIdsAsync(HttpClient http)
    {
        using var response = await http.GetAsync("v1/models");
        if (!response.IsSuccessStatusCode) return [];
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data").EnumerateArray()
            .Select(m => m.GetProperty("id").GetString()!).ToList();
    }

    /// <summary>
    /// The real program as a user runs it, in its own process with no connection strings at all: it serves the embedded
    /// model under the name given and the adapter under its name, and the adapter changes the answer.
    /// </summary>
    [Fact]
    public async Task Serve_alone_as_a_process_lists_the_model_and_its_adapter_and_chats_with_both()
    {
        var dir = TestRun.Folder($"serve-{Guid.NewGuid():N}");
        var adapter = TestAdapters.Create(TinyFolder, Path.Combine(InferenceServer.CacheFolder, $"serve-adapter-{Guid.NewGuid():N}"), seed: 21);
        var port = Ports.Free();
        var program = Path.Combine(AppContext.BaseDirectory, "Cortex1.Inference.dll");
        using var server = new ServerProcess("env", [
            "-u", "ConnectionStrings__blobs", "-u", "ConnectionStrings__cortexdb", $"Inference__CacheFolder={InferenceServer.CacheFolder}",
            "dotnet", program, "serve", "--model", "tiny", "--adapter", $"analyst={adapter}", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ], dir);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        await server.WaitUntilAsync(async () =>
        {
            try
            {
                return (await ModelIdsAsync(http)).Contains("analyst");
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), "serve --model tiny");

        Assert.Equal(["tiny", "analyst"], await ModelIdsAsync(http));
        var base1 = await GreedyAsync(http, "tiny");
        var tuned = await GreedyAsync(http, "analyst");
        Assert.NotEmpty(base1);
        Assert.NotEqual(base1, tuned);
        Assert.Equal(base1, await GreedyAsync(http, "tiny"));   // greedy: the same question, the same answer
        Assert.Contains("Ready:", server.Output);
        using var page = await http.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>In-process: a model folder is served under the folder's name (or --served-model-name), adapters as models.</summary>
    [Fact]
    public async Task A_model_folder_is_served_under_its_name_and_the_adapters_beside_it()
    {
        var adapter = TestAdapters.Create(TinyFolder, Path.Combine(InferenceServer.CacheFolder, $"serve-adapter-{Guid.NewGuid():N}"), seed: 22);
        var options = ServeOptions.Parse(["--model", TinyFolder, "--adapter", $"team/lora={adapter}"]);
        Assert.Equal(Path.GetFileName(TinyFolder), options.ModelId);
        await using var server = await InferenceServer.StartAsync(options);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await ModelIdsAsync(server.Http)).Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal([options.ModelId, "team/lora"], await ModelIdsAsync(server.Http));
        Assert.NotEqual(await GreedyAsync(server.Http, options.ModelId), await GreedyAsync(server.Http, "team/lora"));

        var renamed = ServeOptions.Parse(["--model", TinyFolder, "--served-model-name", "my-model"]);
        Assert.Equal("my-model", renamed.ModelId);
        Assert.Equal(TinyFolder, renamed.Model);
        Assert.Equal("cortex1-baby", ServeOptions.Parse(["--model", "cortex1-baby"]).ModelId);
        Assert.Equal("http://127.0.0.1:8000", ServeOptions.Parse(["--model", "tiny"]).Url);
        Assert.Equal("http://[::1]:9001", ServeOptions.Parse(["--model=tiny", "--host", "::1", "--port=9001"]).Url);
    }

    public static TheoryData<string[], string> BadCommandLines()
    {
        var notModel = TestRun.Folder("serve-not-a-model");
        var notAdapter = TestRun.Folder("serve-not-an-adapter");
        return new()
        {
            { [], "--model is required" },
            { ["--model", "/no/such/model"], "no such folder (/no/such/model)" },
            { ["--model", notModel], $"not a Hugging Face model folder: no config.json in {notModel}" },
            { ["--model", "tiny", "--adapter", "analyst"], "--adapter 'analyst' is not NAME=PATH" },
            { ["--model", "tiny", "--adapter", "=x"], "is not NAME=PATH" },
            { ["--model", "tiny", "--adapter", "a=/no/such/adapter"], "--adapter 'a=/no/such/adapter': no such folder" },
            { ["--model", "tiny", "--adapter", $"a={notAdapter}"], "is not a PEFT adapter folder (no adapter_config.json)" },
            { ["--model", "tiny", "--adapter", "tiny=/x"], "the name is the base model's id" },
            { ["--model", "tiny", "--port", "70000"], "--port '70000' is not a port number" },
            { ["--model", "tiny", "--reports", "/no/such/reports"], "--reports '/no/such/reports': no such folder" },
            { ["--model", "tiny", "--quantization", "int3"], "--quantization 'int3' is not one of" },
            { ["--model", "tiny", "--gpu"], "Unknown option --gpu" },
            { ["--model", "tiny", "--port"], "--port needs a value" },
        };
    }

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task A_bad_command_line_is_exit_code_2_with_a_message_that_names_the_problem(string[] args, string expected)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.BadInput, await ServeCommand.RunAsync(["serve", .. args], stdout, stderr));
        Assert.Contains(expected, stderr.ToString());
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public async Task A_port_in_use_is_exit_code_2_before_anything_loads()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.BadInput, await ServeCommand.RunAsync(["serve", "--model", "tiny", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], stdout, stderr));
        Assert.Contains($"http://127.0.0.1:{port} is in use", stderr.ToString());
    }

    [Fact]
    public async Task Serve_is_the_programs_command_and_help_lists_its_options()
    {
        // The word goes to Inference's own command (which refuses a missing folder), never to the AppHost's service.
        Assert.Equal(ExitCodes.BadInput, await ServiceCommands.RunAsync(["serve", "--model", "/no/such/model"], Cli.InferenceCommands.All,
            _ => throw new InvalidOperationException("serve must not start the AppHost's service")));
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Ok, await ServeCommand.RunAsync(["serve", "--help"], stdout, stderr));
        foreach (var option in new[] { "--model", "--adapter NAME=PATH", "--port", "--reports", "--served-model-name" })
            Assert.Contains(option, stdout.ToString());
        var usage = ServiceCommands.Usage(Cli.InferenceCommands.All);
        Assert.Single(usage.Split('\n'), l => l.StartsWith("  serve ", StringComparison.Ordinal));
    }
}
