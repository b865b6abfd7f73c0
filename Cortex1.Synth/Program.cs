using Cortex1.Data;
using Cortex1.Synth;
using Cortex1.Synth.Api;
using Cortex1.Synth.Cli;
using Cortex1.Synth.Scoring;

// `rewards …` runs the reward CLI and exits before any host is built.
if (args.Length > 0 && args[0] == "rewards")
{
    var configuration = new ConfigurationBuilder()
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args[1..].Where(a => a.StartsWith("--Rewards:", StringComparison.OrdinalIgnoreCase)).ToArray())
        .Build();
    return await RewardsCli.RunAsync(args[1..], configuration);
}

// `generate …` builds one data set and exits; anything else starts the service.
if (SynthCli.IsCommand(args)) return await SynthCli.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCortex1Data();
builder.AddSynth();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapSynthApi();
app.Run();
return 0;
