using Cortex1.AppHost;
using Cortex1.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var infra = builder.AddCortex1Infrastructure();

// Secrets are optional: each is declared only when configured (user secrets, environment, or
// azd), so the app starts without them and a service sees an empty setting rather than a prompt.
var flipsideKey = builder.AddOptionalSecret("flipside-api-key");
var openRouterKey = builder.AddOptionalSecret("openrouter-api-key");
var inferenceKey = builder.AddOptionalSecret("inference-api-key");

// Each service is given the stores it uses: Ingest keeps market data in PostgreSQL and writes no files.
var ingest = builder.AddCortex1Service<Projects.Cortex1_Ingest>("ingest")
    .WithDatabase(infra)
    .WithSecret("Flipside__ApiKey", flipsideKey)
    .WithPostCommand("load-embedded", "Load embedded history", "/api/ingest/runs", new { mode = "load-embedded" })
    .WithPostCommand("fetch-30d", "Fetch 30 days from Flipside", "/api/ingest/runs", new { mode = "fetch", days = 30 });

var synth = builder.AddCortex1Service<Projects.Cortex1_Synth>("synth")
    .WithDatabase(infra).WithBlobs(infra)
    .WithSecret("Teacher__ApiKey", openRouterKey)
    .WaitFor(ingest)
    .WithPostCommand("generate-offline", "Generate small data set (offline analyst)", "/api/synth/runs", new { size = "small", teacher = "offline" })
    .WithPostCommand("generate-openrouter", "Generate small data set (OpenRouter R1)", "/api/synth/runs", new { size = "small", teacher = "openrouter" });

// Inference reads base models and adapters from blob storage and keeps no state: no database.
builder.AddCortex1Service<Projects.Cortex1_Inference>("inference")
    .WithBlobs(infra)
    .WithSecret("Inference__ApiKey", inferenceKey);

builder.AddCortex1Service<Projects.Cortex1_Trainer>("trainer")
    .WithDatabase(infra).WithBlobs(infra)
    .WithPostCommand("train-baby", "Train the baby model on the offline small data set", "/api/training/runs",
        new { name = "cortex1-analyst", dataset = "cortex1-market-small", version = "offline-s42", baseModel = "cortex1-baby", sftSteps = 4, grpoSteps = 10 });

builder.Build().Run();
