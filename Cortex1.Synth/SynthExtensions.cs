using Cortex1.Data.Rewards;
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
        services.AddSynthTeachers(configuration);
        services.Configure<SynthOptions>(configuration.GetSection(SynthOptions.Section));
        services.AddSingleton(RewardConfiguration.System(configuration));
        services.AddSingleton<SynthStore>();
        services.AddSingleton<SynthRunner>();
        services.AddSingleton<SynthRuns>();
        return services;
    }

    /// <summary>Teachers (section <c>Teacher</c>) and their HTTP client with retries and rate limits.</summary>
    public static IServiceCollection AddSynthTeachers(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<TeacherOptions>(configuration.GetSection(TeacherOptions.Section));
        services.AddTeacherHttpClient();
        services.AddSingleton<TeacherFactory>();
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
