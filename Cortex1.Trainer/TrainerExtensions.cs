using Cortex1.Data.Rewards;
using Cortex1.Data.Jobs;
using Cortex1.Data.Tracking;
using Cortex1.Rewards;
using Cortex1.Data.Market;
using Cortex1.Trainer.Pipeline;
using Cortex1.Trainer.Runs;

namespace Cortex1.Trainer;

public static class TrainerExtensions
{
    /// <summary>The training job handler, its store and options (<c>Trainer:</c> section).</summary>
    public static IHostApplicationBuilder AddTrainer(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<TrainerOptions>(builder.Configuration.GetSection("Trainer"));
        builder.Services.AddSingleton<TrainingStore>();
        builder.Services.AddTrackingStore();
        builder.Services.AddSingleton(RewardConfiguration.System(builder.Configuration));
        builder.Services.AddJobHandler<TrainingRunHandler>();
        builder.Services.AddJobHandler<Pretrain.PretrainHandler>();
        builder.Services.AddJobHandler<Export.ExportHandler>();
        builder.Services.AddMarketStore();
        builder.Services.AddSingleton<Evaluation.EvalStore>();
        builder.Services.AddSingleton<Evaluation.EvalRunner>();
        builder.Services.AddJobHandler<Evaluation.EvalJobHandler>();
        builder.AddPipeline();
        return builder;
    }

    /// <summary>The pipeline that runs the whole flow at start (<c>Pipeline:</c> section; on when the AppHost says so).</summary>
    public static IHostApplicationBuilder AddPipeline(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<PipelineOptions>(builder.Configuration.GetSection(PipelineOptions.Section));
        builder.Services.AddSingleton<PipelineStore>();
        builder.Services.AddSingleton<PipelinePlan>();
        builder.Services.AddSingleton<PipelineMetrics>();
        builder.Services.AddSingleton<PipelineRunner>();
        builder.Services.AddHostedService(s => s.GetRequiredService<PipelineRunner>());
        return builder;
    }
}
