using Cortex1.Data.Rewards;
using Cortex1.Data.Jobs;
using Cortex1.Data.Tracking;
using Cortex1.Rewards;
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
        return builder;
    }
}
