using Cortex1.Inference.Bench;
using Cortex1.Inference.Serve;
using Cortex1.Model.Bench;
using Cortex1.ServiceDefaults.CommandLine;

namespace Cortex1.Inference.Cli;

/// <summary>What <c>Cortex1.Inference</c> runs instead of the AppHost's service (see <see cref="ServiceCommands"/>); a new command is one line here.</summary>
public static class InferenceCommands
{
    public static IReadOnlyList<ServiceCommand> All { get; } =
    [
        new(ServeCommand.Name, "Run the OpenAI-compatible API and the web page alone: serve --model FOLDER|cortex1-baby|tiny [--adapter NAME=PATH] [--port 8000].",
            args => ServeCommand.RunAsync(args)),
        new("bench", "The engine's own benchmark: prefill and decode speed on a named shape (Cortex1.Model).", args => ModelBench.RunAsync(args[1..])),
        new("loadtest", "Drive a running server with concurrent streaming requests and report latency and throughput.", args => LoadTest.RunAsync(args[1..])),
    ];
}
