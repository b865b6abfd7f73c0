using Cortex1.ServiceDefaults.CommandLine;
using Cortex1.Trainer;
using Cortex1.Trainer.Cli;

// `train …` runs one training run in this process, `bench …` times the steps; no command starts the service.
return await ServiceCommands.RunAsync(args, TrainerCommands.All, TrainerApp.Build);
