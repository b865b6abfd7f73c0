using Cortex1.ServiceDefaults.CommandLine;
using System.CommandLine;
using Cortex1.Data.CommandLine;

namespace Cortex1.Trainer.Hub;

/// <summary>
/// <c>dotnet run --project Cortex1.Trainer -- models pull microsoft/phi-4 [--revision R]</c>: a hub repo into blob
/// storage as <c>models/{repo}/</c> (see <see cref="ModelPull"/>). The token comes from HF_TOKEN or HUGGINGFACE_TOKEN
/// and is never printed; HF_ENDPOINT points at another hub (a mirror, or the tests' fake one).
/// </summary>
public static class ModelsCli
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken stop = default)
    {
        var stdout = output ?? Console.Out;
        var stderr = error ?? Console.Error;
        var repo = new Argument<string>("repo") { Description = "The hub repo id, e.g. microsoft/phi-4." };
        var revision = new Option<string>("--revision") { Description = "A branch, tag or commit.", DefaultValueFactory = _ => "main" };
        var pull = new Command("pull", "Download a model repo from the Hugging Face hub into blob storage (models/{repo}/), resumable and verified.") { repo, revision };
        pull.SetAction(async (parse, ct) =>
        {
            try
            {
                var storage = new CliStorage(typeof(ModelsCli));
                var blobs = storage.Blobs();
                await blobs.EnsureContainersAsync(ct);
                using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
                var hub = new HubClient(http, HubClient.EndpointFromEnvironment(), HubClient.TokenFromEnvironment());
                var reference = await new ModelPull(hub, blobs, Path.Combine(storage.CacheFolder, "hub"), stdout).RunAsync(parse.GetValue(repo)!, parse.GetValue(revision)!, ct);
                await stdout.WriteLineAsync($"next: dotnet run --project Cortex1.Trainer -- train --base-model {reference} …  or  export --base-model {reference} --format gguf --type q4_0 --output out/");
                return ExitCodes.Ok;
            }
            catch (HubException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                await stderr.WriteLineAsync($"error: the download was interrupted ({e.Message}); run the same command again to resume.");
                return ExitCodes.Failed;
            }
            catch (InvalidOperationException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        var models = new Command("models", "Base models in blob storage.") { pull };
        return CommandLineHost.InvokeAsync(new RootCommand("Cortex1 models.") { models }, args, stdout, stderr, stop);
    }
}
