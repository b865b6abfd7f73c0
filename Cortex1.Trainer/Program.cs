using Cortex1.Data;
using Cortex1.Trainer;
using Cortex1.Trainer.Bench;
using Cortex1.Trainer.Cli;
using Cortex1.Trainer.Runs;

// `bench …`: SFT and GRPO step times on the tiny base (see TrainerBench); `train …`: one run in this
// process (see TrainCli); otherwise the service.
if (args is ["bench", ..]) return TrainerBench.Run(args[1..]);
if (TrainCli.IsCommand(args)) return await TrainCli.RunAsync(args);
if (Cortex1.Trainer.Export.ExportCli.IsCommand(args)) return await Cortex1.Trainer.Export.ExportCli.RunAsync(args);
if (Cortex1.Trainer.Hub.ModelsCli.IsCommand(args)) return await Cortex1.Trainer.Hub.ModelsCli.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCortex1Data();
builder.AddTrainer();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTrainingApi();
app.Run();
return 0;
