using Cortex1.Model.Config;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>One transformer block: x + attention(norm(x)), then x + mlp(norm(x)) (pre-norm, residual stream).</summary>
public sealed class DecoderLayer : IDisposable
{
    readonly double _eps;

    public Tensor? InputNorm { get; internal set; }
    public Attention Attention { get; }
    public Tensor? PostAttentionNorm { get; internal set; }
    public Mlp Mlp { get; }

    /// <summary>HF module name (q_proj… or phi3's qkv_proj/gate_up_proj) → projection: how loading, saving and LoRA
    /// address the weights. The forward holds them directly.</summary>
    public IReadOnlyDictionary<string, Projection> Projections { get; }

    internal DecoderLayer(ModelConfig c, int index)
    {
        _eps = c.RmsNormEps;
        Attention = new Attention(c, $"model.layers.{index}.self_attn");
        Mlp = new Mlp(c, $"model.layers.{index}.mlp");
        // This order (inputs, then the two output projections) is the order weights are exported and adapter
        // parameters listed in, which a saved optimiser state depends on.
        Projections = Attention.Inputs.Concat(Mlp.Inputs).Append(Attention.Output).Append(Mlp.Down)
            .ToDictionary(p => p.Name.Split('.')[^1]);
    }

    internal Tensor Forward(Tensor x, Tensor cos, Tensor sin, int layer, IAttentionPlan plan, AdapterRouting routing)
    {
        using var scope = NewDisposeScope();
        x = x.Plus(Attention.Forward(Blocks.RmsNorm(x, InputNorm!, _eps), cos, sin, layer, plan, routing));
        x = x.Plus(Mlp.Forward(Blocks.RmsNorm(x, PostAttentionNorm!, _eps), routing));
        return x.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        InputNorm?.Dispose(); PostAttentionNorm?.Dispose();
        Attention.Dispose(); Mlp.Dispose();
    }
}
