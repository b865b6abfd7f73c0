using Cortex1.Inference;
using Cortex1.Inference.Bench;

// `bench …`: the engine's own benchmark (Cortex1.Model); `loadtest …`: drive a running server;
// anything else: the OpenAI-compatible web service.
return args.FirstOrDefault() switch
{
    "bench" => await Cortex1.Model.Bench.ModelBench.RunAsync(args[1..]),
    "loadtest" => await LoadTest.RunAsync(args[1..]),
    _ => await RunServiceAsync(args),
};

static async Task<int> RunServiceAsync(string[] args)
{
    await InferenceApp.Build(args).RunAsync();
    return 0;
}

