using System.ClientModel;
using System.ClientModel.Primitives;
using Cortex1.Data.Jobs;
using Cortex1.Synth.Offline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Cortex1.Synth.Teachers;

/// <summary>
/// Makes the teacher a run asked for: <c>offline</c> (the analyst), <c>openrouter</c>
/// (Teacher:BaseUrl, default OpenRouter) or an http(s) URL of any OpenAI-compatible endpoint.
/// </summary>
public sealed class TeacherFactory(IHttpClientFactory http, IOptions<TeacherOptions> options)
{
    public const string Offline = "offline";
    public const string OpenRouter = "openrouter";

    public ITeacher Create(string teacher)
    {
        var o = options.Value;
        if (teacher == Offline) return new OfflineAnalyst();

        var (baseUrl, label) = teacher == OpenRouter
            ? (o.BaseUrl, Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var u) && u.Host.EndsWith("openrouter.ai", StringComparison.OrdinalIgnoreCase) ? "openrouter" : u?.Host ?? o.BaseUrl)
            : (teacher, Uri.TryCreate(teacher, UriKind.Absolute, out var t) ? t.Authority : teacher);
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var endpoint))
            throw new PermanentJobException($"Teacher:BaseUrl '{baseUrl}' is not an absolute URL.");
        // OpenRouter needs a key; a local vLLM/Ollama/Inference endpoint may not.
        if (teacher == OpenRouter && !o.HasKey)
            throw new PermanentJobException("Teacher:ApiKey is not set: set it (user secrets, environment Teacher__ApiKey or the AppHost's openrouter-api-key parameter) or use the offline teacher.");

        var client = new OpenAIClient(new ApiKeyCredential(o.HasKey ? o.ApiKey! : "none"), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            Transport = new HttpClientPipelineTransport(http.CreateClient(TeacherHttp.ClientName)),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // retries live in the HTTP pipeline, honouring Retry-After
            NetworkTimeout = o.AttemptTimeout * (o.MaxRetries + 2),
        });
        IChatClient chat = client.GetChatClient(o.Model).AsIChatClient();
        return new ChatTeacher(chat, $"{label}:{o.Model}", o, endpoint.GetLeftPart(UriPartial.Path));
    }
}
