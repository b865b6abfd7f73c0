using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cortex1.Model.Config;

/// <summary>
/// Where a model folder came from on the Hugging Face hub. `models pull` records it in <see cref="FileName"/> beside
/// the downloaded files (the hub's own files stay byte-identical, so their checksums still hold); a folder saved by
/// transformers may instead carry it as config.json's `_name_or_path`. Adapters name their base by this hub id, which
/// is what PEFT and vLLM resolve (a local folder name means nothing on another machine).
/// </summary>
public sealed record ModelOrigin(string Repo, string Revision, string? Commit)
{
    public const string FileName = "cortex1-origin.json";

    static readonly Regex HubIdPattern = new(@"^[A-Za-z0-9][\w.-]*/[\w.-]+$", RegexOptions.CultureInvariant);

    public static bool IsHubId(string s) => HubIdPattern.IsMatch(s) && !s.Contains("..");

    public void Write(string folder) => File.WriteAllText(Path.Combine(folder, FileName),
        JsonSerializer.Serialize(new JsonObject { ["repo"] = Repo, ["revision"] = Revision, ["commit"] = Commit }, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The folder's hub id: the recorded origin, else config.json's `_name_or_path` when it is a hub id; null if neither.</summary>
    public static string? HubId(string folder)
    {
        var origin = Path.Combine(folder, FileName);
        if (File.Exists(origin) && JsonNode.Parse(File.ReadAllText(origin))?["repo"] is JsonValue r && IsHubId(r.GetValue<string>())) return r.GetValue<string>();
        var config = Path.Combine(folder, "config.json");
        if (File.Exists(config) && JsonNode.Parse(File.ReadAllText(config))?["_name_or_path"] is JsonValue n && n.GetValue<string>() is { } name
            && IsHubId(name) && !Directory.Exists(name)) return name;
        return null;
    }
}
