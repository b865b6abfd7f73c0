using Cortex1.Data;
using Cortex1.Trainer;
using Cortex1.Trainer.Runs;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCortex1Data();
builder.AddTrainer();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTrainingApi();
app.Run();
