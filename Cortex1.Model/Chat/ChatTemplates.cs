using System.Text;

namespace Cortex1.Model.Chat;

/// <summary>One chat turn. Reasoning is an assistant turn's thinking (R1 distills); templates never put it in history.</summary>
public sealed record ChatMessage(string Role, string Content, string? Reasoning = null);

/// <summary>A model's chat template written in C#, byte-exact with the Jinja template in its tokenizer_config.json.</summary>
public interface IChatTemplate
{
    string Name { get; }
    /// <summary>True for R1 distills: the generation prompt ends in "&lt;think&gt;\n", so output starts inside thinking.</summary>
    bool ReasoningModel { get; }
    string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);
}

/// <summary>microsoft/phi-4: &lt;|im_start|&gt;role&lt;|im_sep|&gt;content&lt;|im_end|&gt;; roles other than system/user/assistant are dropped.</summary>
public sealed class Phi4ChatTemplate : IChatTemplate
{
    public string Name => "phi-4";
    public bool ReasoningModel => false;

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
            if (m.Role is "system" or "user" or "assistant")
                sb.Append("<|im_start|>").Append(m.Role).Append("<|im_sep|>").Append(m.Content).Append("<|im_end|>");
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant<|im_sep|>");
        return sb.ToString();
    }
}

/// <summary>
/// DeepSeek-R1 distills (Qwen and Llama): bos + the (last) system prompt, then &lt;｜User｜&gt;… and
/// &lt;｜Assistant｜&gt;…&lt;｜end▁of▁sentence｜&gt;; an assistant turn keeps only the text after its last &lt;/think&gt;, so no
/// reasoning enters the history; the generation prompt opens &lt;think&gt;\n.
/// </summary>
public sealed class DeepSeekR1ChatTemplate(string bosToken = "<｜begin▁of▁sentence｜>") : IChatTemplate
{
    public string Name => "deepseek-r1";
    public bool ReasoningModel => true;

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder(bosToken);
        sb.Append(messages.LastOrDefault(m => m.Role == "system")?.Content ?? "");
        foreach (var m in messages)
        {
            if (m.Role == "user") sb.Append("<｜User｜>").Append(m.Content);
            else if (m.Role == "assistant")
            {
                sb.Append("<｜Assistant｜>").Append(ThinkTags.AnswerOf(m.Content)).Append("<｜end▁of▁sentence｜>");
            }
        }
        if (addGenerationPrompt) sb.Append("<｜Assistant｜><think>\n");
        return sb.ToString();
    }
}

/// <summary>Meta Llama 3 Instruct: bos, then per message &lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n + trimmed content + &lt;|eot_id|&gt;.</summary>
public sealed class Llama3ChatTemplate(string bosToken = "<|begin_of_text|>") : IChatTemplate
{
    public string Name => "llama-3";
    public bool ReasoningModel => false;

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < messages.Count; i++)
        {
            if (i == 0) sb.Append(bosToken);
            // Jinja's trim is Python's str.strip(): Unicode whitespace on both ends.
            sb.Append("<|start_header_id|>").Append(messages[i].Role).Append("<|end_header_id|>\n\n").Append(messages[i].Content.Trim()).Append("<|eot_id|>");
        }
        if (addGenerationPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return sb.ToString();
    }
}

public static class ChatTemplates
{
    /// <summary>Picks the template from the Jinja text in tokenizer_config.json (by its markers), else by model_type.</summary>
    public static IChatTemplate For(string? jinja, string modelType, string? bosToken)
    {
        if (jinja is not null)
        {
            if (jinja.Contains("<|im_sep|>")) return new Phi4ChatTemplate();
            if (jinja.Contains("<｜Assistant｜>")) return new DeepSeekR1ChatTemplate(bosToken ?? "<｜begin▁of▁sentence｜>");
            if (jinja.Contains("<|start_header_id|>")) return new Llama3ChatTemplate(bosToken ?? "<|begin_of_text|>");
        }
        return modelType switch
        {
            "phi3" => new Phi4ChatTemplate(),
            "qwen2" => new DeepSeekR1ChatTemplate(bosToken ?? "<｜begin▁of▁sentence｜>"),
            _ => new Llama3ChatTemplate(bosToken ?? "<|begin_of_text|>"),
        };
    }

    /// <summary>The HF Jinja text of each template (what TinyModel writes into tokenizer_config.json).</summary>
    public const string Phi4Jinja = "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'assistant') %}{{'<|im_start|>assistant<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant<|im_sep|>' }}{% endif %}";
    public const string DeepSeekR1Jinja = "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}{% if add_generation_prompt %}{{'<｜Assistant｜><think>\\n'}}{% endif %}";
    public const string Llama3Jinja = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
}
