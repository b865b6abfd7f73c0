using System.Text.RegularExpressions;
using Cortex1.Model.Export;

namespace Cortex1.Trainer.Export;

/// <summary>
/// An export as <c>POST /api/export</c> and the <c>export</c> job take it: the command's fields, with the output a
/// prefix in blob storage (<c>exports/{Output}/</c>) instead of a local path. <c>Type</c> defaults as the command's
/// (gguf f16, hf bf16); <c>Output</c> to <c>{adapter or base model name}-{type}</c>.
/// </summary>
public sealed partial record ExportJobRequest(string BaseModel, string? Adapter = null, string Format = "gguf", string? Type = null,
    string? Output = null, string? Name = null)
{
    public const string JobKind = "export";

    public string TypeOrDefault => Type ?? (Format == "hf" ? "bf16" : "f16");

    public string OutputOrDefault => Output ?? $"{LastSegment(Adapter ?? BaseModel)}-{TypeOrDefault}".ToLowerInvariant();

    /// <summary>Null when valid, else what is wrong.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(BaseModel)) return "baseModel is required (cortex1-baby, tiny, models/{prefix} or a folder on the Trainer)";
        if (Format is not ("gguf" or "hf")) return $"format is gguf or hf, not '{Format}'";
        try
        {
            if (Format == "gguf") GgufExport.ParseType(TypeOrDefault);
            else HfExport.ParseDType(TypeOrDefault);
        }
        catch (ArgumentException e)
        {
            return e.Message.TrimEnd('.');
        }
        if (!SafePrefix().IsMatch(OutputOrDefault) || OutputOrDefault.Contains("..", StringComparison.Ordinal))
            return $"output '{OutputOrDefault}' must be a blob prefix of letters, digits, '.', '_', '-' and '/'";
        return null;
    }

    private static string LastSegment(string reference) => Path.GetFileName(Path.TrimEndingDirectorySeparator(reference.Replace('\\', '/')));

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")]
    private static partial Regex SafePrefix();
}
