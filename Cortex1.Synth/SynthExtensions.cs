using Cortex1.Data.Jobs;
using Cortex1.Data.Market;
using Cortex1.Rewards;
using Cortex1.Synth.Generation;
using Cortex1.Synth.Teachers;

namespace Cortex1.Synth;

public static class SynthExtensions
{
    /// <summary>What both the CLI and the service need: market reads, teachers, rewards, the store and the runner.</summary>
    public static IServiceCollection AddSynthCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMarketStore();
        services.Configure<TeacherOptions>(configuration.GetSection(TeacherOptions.Section));
        services.Configure<SynthOptions>(configuration.GetSection(SynthOptions.Section));
        services.AddSingleton(new RewardSystem(RewardWeights.From(configuration)));
        services.AddTeacherHttpClient();
        services.AddSingleton<TeacherFactory>();
        services.AddSingleton<SynthStore>();
        services.AddSingleton<SynthRunner>();
        services.AddSingleton<SynthRuns>();
        return services;
    }

    /// <summary>The service: core plus the job handler that runs generation.</summary>
    public static IHostApplicationBuilder AddSynth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSynthCore(builder.Configuration);
        builder.Services.AddJobHandler<SynthJobHandler>();
        return builder;
    }
}
