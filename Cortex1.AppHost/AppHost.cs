using Cortex1.AppHost;
using Cortex1.AppHost.Infrastructure;
using Cortex1.AppHost.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var builder = DistributedApplication.CreateBuilder(args);

var infra = builder.AddCortex1Infrastructure();
var pipeline = builder.Configuration.GetSection("Pipeline").Get<PipelineSettings>() ?? new PipelineSettings();

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
    .WithPostCommand("fetch-30d", "Fetch 30 days from Flipside", "/api/ingest/runs", new { mode = "fetch", days = 30 })
    .WithPostCommand("fetch-365d", "Fetch 365 days from Flipside", "/api/ingest/runs", new { mode = "fetch", days = 365 })
    .WithPageUrls(("/api/market/chains", "Market data (chains)"));

var synth = builder.AddCortex1Service<Projects.Cortex1_Synth>("synth")
    .WithDatabase(infra).WithBlobs(infra)
    .WithSecret("Teacher__ApiKey", openRouterKey)
    .WaitFor(ingest)
    .WithPostCommand("generate-offline", "Generate small data set (offline analyst)", "/api/synth/runs", new { size = "small", teacher = "offline" })
    .WithPostCommand("generate-openrouter", "Generate small data set (OpenRouter R1)", "/api/synth/runs", new { size = "small", teacher = "openrouter" })
    .WithPostCommand("generate-compact", "Generate the baby's medium data set (offline, compact prompts)", "/api/synth/runs", new { size = "medium", teacher = "offline", profile = "compact" })
    .WithPostCommand("generate-corpus", "Generate the baby model's pretraining corpus (offline)", "/api/synth/runs",
        new { size = "corpus", teacher = "offline", name = "cortex1-corpus", profile = "compact" })
    .WithPageUrls(("/api/datasets", "Data sets"));

// Inference reads base models and adapters from blob storage and keeps no state: no database. It looks for new
// adapters every few seconds, so the one the pipeline trains is served without a restart.
var inference = builder.AddCortex1Service<Projects.Cortex1_Inference>("inference")
    .WithBlobs(infra)
    .WithSecret("Inference__ApiKey", inferenceKey)
    .WithEnvironment("Inference__AdapterPollSeconds", "5")
    .WithPageUrls(("/", "Chat (web page)"), ("/v1/models", "Models (OpenAI API)"));
foreach (var (name, value) in PipelineSettings.InferenceModel(pipeline.Profile) ?? new Dictionary<string, string>())
    inference.WithEnvironment(name, value);

// The Trainer runs the pipeline: each stage is a job row of the service that owns it. It learns only whether the
// keys are set (the keys stay with Ingest and Synth), to pick live data and the R1 teacher when they are.
var trainer = builder.AddCortex1Service<Projects.Cortex1_Trainer>("trainer")
    .WithDatabase(infra).WithBlobs(infra)
    .WithEnvironment("Pipeline__Enabled", pipeline.Enabled ? "true" : "false")
    .WithEnvironment("Pipeline__Profile", pipeline.Profile)
    .WithEnvironment("Pipeline__Teacher", openRouterKey is null ? "offline" : "openrouter")
    .WithEnvironment("Pipeline__Market", flipsideKey is null ? "embedded" : "flipside")
    .WithPostCommand("pipeline-run", "Run the pipeline (reuses what exists)", "/api/pipeline/runs", new { })
    .WithPostCommand("pretrain-baby", "Pretrain the baby model from scratch (needs the corpus)", "/api/training/pretrain",
        new { steps = 10000, maxSeconds = 600 })
    .WithPostCommand("train-baby", "Train the baby model on the offline compact data set", "/api/training/runs",
        new { name = "cortex1-analyst-manual", dataset = "cortex1-market-medium", version = "offline-compact-s42", baseModel = "cortex1-baby", sftSteps = 16, grpoSteps = 8 })
    .WithPostCommand("eval-adapter", "Evaluate the pipeline's adapter (cortex1-analyst)", "/api/eval/runs",
        new { model = "cortex1-analyst", dataset = "cortex1-market-medium", version = "offline-compact-s42", maxTokens = 1150 })
    .WithPageUrls(("/api/pipeline", "Pipeline state"), ("/api/pipeline/report", "Latest evaluation report"));

foreach (var service in new[] { ingest, synth, inference, trainer })
    service.WithPageUrls(("/openapi/v1.json", "API docs (OpenAPI)"));

// The pipeline's progress as a resource of its own, under the Trainer.
if (!builder.ExecutionContext.IsPublishMode)
{
    var status = builder.AddResource(new PipelineResource("pipeline"))
        .WithParentRelationship(trainer)
        .WithInitialState(new CustomResourceSnapshot { ResourceType = "Pipeline", State = "waiting", Properties = [] })
        .ExcludeFromManifest();
    builder.Services.AddHostedService(s => new PipelineStatusPublisher(status.Resource, trainer.Resource,
        s.GetRequiredService<ResourceNotificationService>(),
        s.GetRequiredService<Microsoft.Extensions.Logging.ILogger<PipelineStatusPublisher>>()));
}

builder.Build().Run();
