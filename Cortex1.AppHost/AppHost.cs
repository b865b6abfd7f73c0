using Cortex1.AppHost;
using Cortex1.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var infra = builder.AddCortex1Infrastructure();

// Secrets are optional: each is declared only when configured (user secrets, environment, or
// azd), so the app starts without them and a service sees an empty setting rather than a prompt.
var flipsideKey = builder.AddOptionalSecret("flipside-api-key");
var openRouterKey = builder.AddOptionalSecret("openrouter-api-key");
var inferenceKey = builder.AddOptionalSecret("inference-api-key");

var ingest = builder.AddCortex1Service<Projects.Cortex1_Ingest>("ingest", infra)
    .WithSecret("Flipside__ApiKey", flipsideKey)
    .WithPostCommand("load-embedded", "Load embedded history", "/api/ingest/runs", new { mode = "load-embedded" })
    .WithPostCommand("fetch-30d", "Fetch 30 days from Flipside", "/api/ingest/runs", new { mode = "fetch", days = 30 });

var synth = builder.AddCortex1Service<Projects.Cortex1_Synth>("synth", infra)
    .WithSecret("Teacher__ApiKey", openRouterKey)
    .WaitFor(ingest);

var inference = builder.AddCortex1Service<Projects.Cortex1_Inference>("inference", infra)
    .WithSecret("Inference__ApiKey", inferenceKey);

builder.AddCortex1Service<Projects.Cortex1_Trainer>("trainer", infra)
    .WithReference(synth)
    .WithReference(inference);

builder.Build().Run();
