using Cortex1.Data;
using Cortex1.Trainer;
using Cortex1.Trainer.Bench;
using Cortex1.Trainer.Runs;

// `bench …`: SFT and GRPO step times on the tiny base (see TrainerBench); otherwise the service.
if (args is ["bench", ..]) return TrainerBench.Run(args[1..]);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCortex1Data();
builder.AddTrainer();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTrainingApi();
app.Run();
return 0;
