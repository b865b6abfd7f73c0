using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Cortex1.Inference.Scheduling;

namespace Cortex1.Inference.Api;

/// <summary>
/// A request's events: the <see cref="GenerationEvent"/>s of all its choices on one channel, read until every one of its
/// sequences has finished or failed.
/// </summary>
public static class RequestEvents
{
    public static async IAsyncEnumerable<GenerationEvent> ReadUntilAllEndAsync(
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
