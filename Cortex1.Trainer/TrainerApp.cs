using Cortex1.Data;
using Cortex1.Trainer.Evaluation;
using Cortex1.Trainer.Export;
using Cortex1.Trainer.Pipeline;
using Cortex1.Trainer.Pretrain;
using Cortex1.Trainer.Runs;

namespace Cortex1.Trainer;

/// <summary>The web service, built but not run: training runs queued as jobs, and their API.</summary>
public static class TrainerApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddCortex1Data();
        builder.AddTrainer();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapTrainingApi();
        app.MapPretrainApi();
        app.MapTrackRecordApi();
        app.MapExportApi();
        app.MapPipelineApi();
        app.MapReportsApi();
        app.MapEvalApi();
        return app;
    }
}
