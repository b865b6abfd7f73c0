using Cortex1.Data;
using Cortex1.Synth.Api;

namespace Cortex1.Synth;

/// <summary>The web service, built but not run: data-set generation runs, the data-set catalogue and the rewards API.</summary>
public static class SynthApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddCortex1Data();
        builder.AddSynth();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapSynthApi();
        app.MapRewardsApi();
        return app;
    }
}
