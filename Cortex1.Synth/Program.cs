using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Synth;
using Cortex1.Synth.Cli;

// `generate …` builds one data set and exits, `rewards …` runs the reward system's commands; no command starts the service.
return await ServiceCommands.RunAsync(args, SynthCommands.All, SynthApp.Build);
