using Cortex1.Model.Chat;

namespace Cortex1.Model.Tests;

/// <summary>Expected strings written out from each model's Jinja template (tokenizer_config.json) by hand.</summary>
public class ChatTemplateTests
{
    static readonly ChatMessage[] Conversation =
    [
        new("system", "You are a trader."),
        new("user", "Analyse BTC."),
        new("assistant", "<think>\nvolume up\n</think>\n\nBullish.", Reasoning: "volume up"),
        new("user", " And ETH? "),
    ];

    [Fact]
    public void Phi4()
    {
        var s = new Phi4ChatTemplate().Render(Conversation, addGenerationPrompt: true);
        Assert.Equal("<|im_start|>system<|im_sep|>You are a trader.<|im_end|><|im_start|>user<|im_sep|>Analyse BTC.<|im_end|>" +
                     "<|im_start|>assistant<|im_sep|><think>\nvolume up\n</think>\n\nBullish.<|im_end|>" +
                     "<|im_start|>user<|im_sep|> And ETH? <|im_end|><|im_start|>assistant<|im_sep|>", s);
        Assert.Equal("<|im_start|>user<|im_sep|>x<|im_end|>", new Phi4ChatTemplate().Render([new("tool", "t"), new("user", "x")], false));
    }

    [Fact]
    public void DeepSeekR1DropsReasoningFromHistory()
    {
        var t = new DeepSeekR1ChatTemplate();
        Assert.True(t.ReasoningModel);
        Assert.Equal("<｜begin▁of▁sentence｜>You are a trader.<｜User｜>Analyse BTC.<｜Assistant｜>\n\nBullish.<｜end▁of▁sentence｜>" +
                     "<｜User｜> And ETH? <｜Assistant｜><think>\n", t.Render(Conversation, true));
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>hi", t.Render([new("user", "hi")], false));
    }

    [Fact]
    public void Llama3TrimsContent()
    {
        var s = new Llama3ChatTemplate().Render(Conversation, true);
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a trader.<|eot_id|>" +
                     "<|start_header_id|>user<|end_header_id|>\n\nAnalyse BTC.<|eot_id|>" +
                     "<|start_header_id|>assistant<|end_header_id|>\n\n<think>\nvolume up\n</think>\n\nBullish.<|eot_id|>" +
                     "<|start_header_id|>user<|end_header_id|>\n\nAnd ETH?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", s);
    }

    [Theory]
    [InlineData("phi3", typeof(Phi4ChatTemplate))]
    [InlineData("qwen2", typeof(DeepSeekR1ChatTemplate))]
    [InlineData("llama", typeof(Llama3ChatTemplate))]
    public void LoadedModelPicksItsTemplate(string family, Type expected)
    {
        using var model = TinyModels.Load(family);
        Assert.IsType(expected, model.ChatTemplate);
    }
}
