using System.Text;

namespace Cortex1.Model.Export;

/// <summary>
/// An Ollama Modelfile for an exported GGUF: FROM the file beside it, the family's chat template in Ollama's Go
/// template syntax (the same text our C# templates in Chat/ render, so Ollama prompts the model as it was trained),
/// and its end-of-turn tokens as stop parameters.
/// </summary>
public static class OllamaModelfile
{
    public static string For(string modelType, string ggufFileName, string? chatTemplate, IEnumerable<string> stops)
    {
        var sb = new StringBuilder();
        sb.Append("FROM ./").Append(ggufFileName).Append('\n');
        sb.Append("TEMPLATE \"\"\"").Append(GoTemplate(modelType, chatTemplate)).Append("\"\"\"\n");
        foreach (var s in stops.Distinct()) sb.Append("PARAMETER stop \"").Append(s.Replace("\"", "\\\"")).Append("\"\n");
        return sb.ToString();
    }

    static string GoTemplate(string modelType, string? jinja)
    {
        if (jinja?.Contains("<|im_sep|>") == true || (jinja is null && modelType == "phi3"))
            return "{{- range .Messages }}<|im_start|>{{ .Role }}<|im_sep|>{{ .Content }}<|im_end|>{{ end }}<|im_start|>assistant<|im_sep|>";
        if (jinja?.Contains("<｜Assistant｜>") == true || (jinja is null && modelType == "qwen2"))
            return "<｜begin▁of▁sentence｜>{{ .System }}{{- range .Messages }}{{ if eq .Role \"user\" }}<｜User｜>{{ .Content }}" +
                   "{{ else if eq .Role \"assistant\" }}<｜Assistant｜>{{ .Content }}<｜end▁of▁sentence｜>{{ end }}{{ end }}<｜Assistant｜><think>\n";
        return "<|begin_of_text|>{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}" +
               "<|start_header_id|>assistant<|end_header_id|>\n\n";
    }
}
