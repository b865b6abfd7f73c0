using Cortex1.Inference;
using Cortex1.Inference.Cli;
using Cortex1.ServiceDefaults.CommandLine;

// No command (or only options) starts the service as the AppHost runs it (blob storage); `serve --model …` runs it alone;
// `bench …` measures the engine, `loadtest …` drives a running server.
return await ServiceCommands.RunAsync(args, InferenceCommands.All, InferenceApp.Build);
