using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Cortex1.Inference.Scheduling;

namespace Cortex1.Inference.Api;

/// <summary>Reads a request's events until every one of its sequences has finished or failed.</summary>
public static class GenerationEvents
{
    public static async IAsyncEnumerable<GenerationEvent> ReadAsync(
        ChannelReader<GenerationEvent> reader, int sequences, [EnumeratorCancellation] CancellationToken ct)
    {
        var open = sequences;
        while (open > 0)
        {
            var next = await reader.ReadAsync(ct);
            if (next is Finished or Failed) open--;
            yield return next;
        }
    }
}
