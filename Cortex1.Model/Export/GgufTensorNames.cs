using static TorchSharp.torch;

namespace Cortex1.Model.Export;

/// <summary>
/// Hugging Face tensor names → llama.cpp's (gguf-py's TensorNameMap / llama-arch.cpp), and the one layout change
/// llama.cpp needs: for the `llama` architecture it applies RoPE to adjacent pairs (x[2i], x[2i+1]) while HF rotates
/// halves (x[i], x[i+d/2]), so convert_hf_to_gguf.py permutes q and k rows within each head to match; qwen2 and phi3
/// run NEOX (halves) RoPE in llama.cpp, so their rows stay as they are. phi3's fused qkv_proj and gate_up_proj keep
/// their fusion (attn_qkv, ffn_up with gate first, as llama.cpp's phi3 graph splits them).
/// </summary>
public static class GgufTensorNames
{
    public static string? Map(string hf)
    {
        switch (hf)
        {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
        }
        if (!hf.StartsWith("model.layers.", StringComparison.Ordinal)) return null;
        var rest = hf["model.layers.".Length..];
        var dot = rest.IndexOf('.');
        var layer = rest[..dot];
        var local = rest[(dot + 1)..];
        var suffix = local.EndsWith(".bias", StringComparison.Ordinal) ? "bias" : "weight";
        var module = local[..local.LastIndexOf('.')];
        var name = module switch
        {
            "input_layernorm" => "attn_norm",
            "post_attention_layernorm" => "ffn_norm",
            "self_attn.q_proj" => "attn_q",
            "self_attn.k_proj" => "attn_k",
            "self_attn.v_proj" => "attn_v",
            "self_attn.qkv_proj" => "attn_qkv",
            "self_attn.o_proj" => "attn_output",
            "mlp.gate_proj" => "ffn_gate",
            "mlp.up_proj" => "ffn_up",
            "mlp.gate_up_proj" => "ffn_up",
            "mlp.down_proj" => "ffn_down",
            _ => null,
        };
        return name is null ? null : $"blk.{layer}.{name}.{suffix}";
    }

    /// <summary>convert_hf_to_gguf.py's LlamaModel.permute: within each head, rows (first half, second half) are
    /// interleaved, so llama.cpp's pairwise RoPE rotates the pairs HF's rotate_half does. Works on weights and biases.</summary>
    public static Tensor PermuteForPairwiseRope(Tensor t, long heads)
    {
        using var scope = NewDisposeScope();
        var rows = t.shape[0];
        var shape = new List<long> { heads, 2, rows / heads / 2 };
        shape.AddRange(t.shape.Skip(1));
        return t.reshape(shape.ToArray()).swapaxes(1, 2).reshape(t.shape).contiguous().MoveToOuterDisposeScope();
    }
}
