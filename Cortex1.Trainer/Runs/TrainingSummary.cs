using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cortex1.Trainer.Runs;

/// <summary>
/// The <c>train</c> command's last line: the finished job's result as <c>key=value</c> pairs for scripts and benchmarks
/// (<c>eval_reward_before=… eval_reward_after_sft=… eval_reward_after=…</c>). Keys are the result's fields in snake_case;
/// null fields and nested objects are left out, numbers are written with invariant culture.
/// </summary>
public static class TrainingSummary
{
    public static string KeyValueLine(long jobId, double seconds, JsonElement? result)
    {
        var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"job={jobId} seconds={seconds:0.0}"));
        if (result is { ValueKind: JsonValueKind.Object } r)
            foreach (var field in r.EnumerateObject())
            {
                var value = field.Value.ValueKind switch
                {
                    JsonValueKind.Number => field.Value.GetDouble().ToString("0.######", CultureInfo.InvariantCulture),
                    JsonValueKind.String => field.Value.GetString()!.Replace(' ', '_'),
                    JsonValueKind.True or JsonValueKind.False => field.Value.GetRawText(),
                    _ => null,
                };
                if (value is not null) sb.Append(' ').Append(JsonNamingPolicy.SnakeCaseLower.ConvertName(field.Name)).Append('=').Append(value);
            }
        return sb.ToString();
    }
}
