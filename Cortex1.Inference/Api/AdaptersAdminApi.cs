using Cortex1.Inference.Adapters;
using Cortex1.Inference.OpenAi;
using Cortex1.Inference.Validation;

namespace Cortex1.Inference.Api;

/// <summary>
/// Run-time adapter management with vLLM's endpoints, so existing tooling works:
/// <c>POST /v1/load_lora_adapter {"lora_name","lora_path"}</c> (no path: look the name up in the
/// adapters folder or blob storage) and <c>POST /v1/unload_lora_adapter {"lora_name"}</c>.
/// Protected by the API key like every <c>/v1</c> route.
/// </summary>
public static class AdaptersAdminApi
{
    public static IEndpointRouteBuilder MapAdaptersAdmin(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/load_lora_adapter", async (HttpContext http, AdapterManager adapters) =>
        {
            var request = await RequestBody.ReadAsync(http.Request, OpenAiJson.Default.LoadAdapterRequest, http.RequestAborted);
            var info = await adapters.LoadAsync(RequireName(request.LoraName), request.LoraPath, http.RequestAborted);
            return TypedResults.Json(new ModelCard(info.Name, info.LoadedAt.ToUnixTimeSeconds()), OpenAiJson.Default.ModelCard);
        });
        app.MapPost("/v1/unload_lora_adapter", async (HttpContext http, AdapterManager adapters) =>
        {
            var request = await RequestBody.ReadAsync(http.Request, OpenAiJson.Default.UnloadAdapterRequest, http.RequestAborted);
            var name = RequireName(request.LoraName);
            await adapters.UnloadAsync(name, http.RequestAborted);
            return TypedResults.Ok();
        });
        return app;
    }

    private static string RequireName(string? name) =>
        string.IsNullOrWhiteSpace(name)
            ? throw ApiException.BadRequest("Missing required parameter: 'lora_name'.", "lora_name", "missing_required_parameter")
            : name;
}
