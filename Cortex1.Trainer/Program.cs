using Cortex1.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCortex1Data();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
