using Cortex1.Inference.Adapters;
using Cortex1.Inference.Engine;
using Cortex1.Inference.OpenAi;
using Cortex1.Inference.Validation;

namespace Cortex1.Inference.Api;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the base model and every loaded adapter.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", (ModelHost host, AdapterCatalog catalog) =>
            TypedResults.Json(new ModelList(Cards(host, catalog)), OpenAiJson.Default.ModelList));
        app.MapGet("/v1/models/{**id}", (string id, ModelHost host, AdapterCatalog catalog) =>
            Cards(host, catalog).FirstOrDefault(c => c.Id == id) is { } card
                ? TypedResults.Json(card, OpenAiJson.Default.ModelCard)
                : throw ApiException.ModelNotFound(id, Cards(host, catalog).Select(c => c.Id)));
        return app;
    }

    private static List<ModelCard> Cards(ModelHost host, AdapterCatalog catalog)
    {
        _ = host.Model; // 503 while loading: an empty list would read as "this server serves nothing".
        return [new ModelCard(host.Name!, host.LoadedAt.ToUnixTimeSeconds()),
            .. catalog.Adapters.Select(a => new ModelCard(a.Name, a.LoadedAt.ToUnixTimeSeconds(), Parent: host.Name))];
    }
}
