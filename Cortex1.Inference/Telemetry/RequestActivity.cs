using System.Diagnostics;
using Cortex1.Inference.OpenAi;

namespace Cortex1.Inference.Telemetry;

/// <summary>The span of one request, with OpenTelemetry's gen_ai attribute names.</summary>
public static class RequestActivity
{
    public static Activity? Start(string operation, string model, int promptTokens, int n, bool stream)
    {
        var activity = InferenceTelemetry.Source.StartActivity($"{operation} {model}", ActivityKind.Internal);
        activity?.SetTag("gen_ai.operation.name", operation);
        activity?.SetTag("gen_ai.request.model", model);
        activity?.SetTag("gen_ai.usage.input_tokens", promptTokens);
        activity?.SetTag("gen_ai.request.choice.count", n);
        activity?.SetTag("cortex1.stream", stream);
        return activity;
    }

    public static void Complete(Activity? activity, Usage usage, IEnumerable<string?> finishReasons)
    {
        activity?.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
        activity?.SetTag("gen_ai.response.finish_reasons", string.Join(",", finishReasons));
    }
}
