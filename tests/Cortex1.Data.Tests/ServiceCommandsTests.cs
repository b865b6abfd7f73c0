using System.CommandLine;
using Cortex1.Data.CommandLine;
using Cortex1.ServiceDefaults.CommandLine;

namespace Cortex1.Data.Tests;

/// <summary>The dispatch every Program.cs makes, with a service and a command that record what they were given.</summary>
public class ServiceCommandsTests
{
    private sealed class Recorder
    {
        public string[]? Service { get; private set; }
        public string[]? Command { get; private set; }

        public IReadOnlyList<ServiceCommand> Commands =>
            [new("train", "Train something.", args => { Command = args; return Task.FromResult(ExitCodes.Ok); })];

        public async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        {
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            var code = await ServiceCommands.RunAsync(args, Commands, a => { Service = a; return Task.FromResult(ExitCodes.Ok); }, stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }
    }

    [Theory]
    [InlineData(new string[0], new string[0])]                                                  // the AppHost, dotnet run
    [InlineData(new[] { "--urls", "http://127.0.0.1:5000" }, new[] { "--urls", "http://127.0.0.1:5000" })]
    [InlineData(new[] { "--environment=Development", "--Inference:Model=/m" }, new[] { "--environment=Development", "--Inference:Model=/m" })]
    [InlineData(new[] { "serve", "--urls", "http://127.0.0.1:5000" }, new[] { "--urls", "http://127.0.0.1:5000" })]
    [InlineData(new[] { "serve" }, new string[0])]
    public async Task No_command_or_options_first_or_serve_start_the_service_with_its_options(string[] args, string[] serviceArgs)
    {
        var recorder = new Recorder();
        var (code, _, _) = await recorder.RunAsync(args);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(serviceArgs, recorder.Service);
        Assert.Null(recorder.Command);
    }

    [Fact]
    public async Task A_command_gets_the_whole_line_and_the_service_does_not_start()
    {
        var recorder = new Recorder();
        var (code, _, _) = await recorder.RunAsync("train", "--name", "x");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(["train", "--name", "x"], recorder.Command!);
        Assert.Null(recorder.Service);
    }

    [Fact]
    public async Task A_program_with_its_own_serve_command_gets_serve_while_no_command_still_starts_the_service()
    {
        string[]? served = null, command = null;
        IReadOnlyList<ServiceCommand> commands = [new(ServiceCommands.Serve, "Serve alone.", args => { command = args; return Task.FromResult(ExitCodes.Ok); })];
        Task<int> Service(string[] args) { served = args; return Task.FromResult(ExitCodes.Ok); }
        Assert.Equal(ExitCodes.Ok, await ServiceCommands.RunAsync(["serve", "--model", "m"], commands, Service));
        Assert.Equal(["serve", "--model", "m"], command!);
        Assert.Null(served);
        Assert.Equal(ExitCodes.Ok, await ServiceCommands.RunAsync(["--urls", "http://127.0.0.1:5000"], commands, Service));
        Assert.Equal(["--urls", "http://127.0.0.1:5000"], served!);
        var usage = ServiceCommands.Usage(commands);
        Assert.Single(usage.Split('\n'), l => l.StartsWith("  serve ", StringComparison.Ordinal));
        Assert.Contains("Serve alone.", usage);
    }

    [Theory]
    [InlineData("trian")]
    [InlineData("Train")]   // names are exact: a shell script with a typo must not start a service and wait
    [InlineData("evla", "--help")]
    public async Task Any_other_first_word_is_bad_input_that_lists_the_commands(params string[] args)
    {
        var recorder = new Recorder();
        var (code, stdout, stderr) = await recorder.RunAsync(args);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Null(recorder.Service);
        Assert.Null(recorder.Command);
        Assert.Equal("", stdout);
        Assert.StartsWith($"error: '{args[0]}' is not a command.", stderr);
        Assert.Contains("  train  Train something.", stderr);
        Assert.Contains("  serve  Run the web service", stderr);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_lists_the_commands_and_starts_nothing(string help)
    {
        var recorder = new Recorder();
        var (code, stdout, stderr) = await recorder.RunAsync(help);
        Assert.Equal((ExitCodes.Ok, ""), (code, stderr));
        Assert.Contains("  train  Train something.", stdout);
        Assert.Null(recorder.Service);
    }

    [Fact]
    public async Task A_parse_error_in_a_command_is_bad_input_and_runs_nothing()
    {
        var ran = false;
        var days = new Option<int>("--days");
        var fetch = new Command("fetch") { days };
        fetch.SetAction(_ => { ran = true; return ExitCodes.Ok; });
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        Assert.Equal(ExitCodes.BadInput, await CommandLineHost.InvokeAsync(new RootCommand { fetch }, ["fetch", "--days", "many"], stdout, stderr));
        Assert.Contains("many", stderr.ToString());
        Assert.Equal(ExitCodes.BadInput, await CommandLineHost.InvokeAsync(new RootCommand { fetch }, ["fetch", "--dyas", "3"], stdout, stderr));
        Assert.Contains("--dyas", stderr.ToString());
        Assert.False(ran);

        Assert.Equal(ExitCodes.Ok, await CommandLineHost.InvokeAsync(new RootCommand { fetch }, ["fetch", "--days", "3"], stdout, stderr));
        Assert.True(ran);
    }

    [Fact]
    public async Task A_stopped_command_is_interrupted_and_says_what_was_kept()
    {
        using var stop = new CancellationTokenSource();
        var stderr = new StringWriter();
        var builder = CommandLineHost.CreateBuilder(typeof(ServiceCommandsTests));
        var code = await CommandLineHost.RunAsync(builder, new DataCommand
        {
            Needs = [],
            Work = async (_, ct) =>
            {
                await stop.CancelAsync();
                await Task.Delay(Timeout.Infinite, ct);
                return ExitCodes.Ok;
            },
            Interrupted = "Interrupted. Nothing was lost.",
        }, stderr, stop.Token);
        Assert.Equal(ExitCodes.Interrupted, code);
        Assert.Equal("Interrupted. Nothing was lost.", stderr.ToString().Trim());
    }
}
