using Cortex1.Inference;
using Cortex1.Inference.Cli;
using Cortex1.ServiceDefaults.CommandLine;

// `bench …` measures the engine, `loadtest …` drives a running server; no command starts the OpenAI-compatible service.
return await ServiceCommands.RunAsync(args, InferenceCommands.All, InferenceApp.Build);
