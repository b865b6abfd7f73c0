using Cortex1.Model.Nf4;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Cortex1.Model.Modeling;

/// <summary>
/// y = x · dequantise(W) for a frozen NF4 weight [in, out], as an autograd function that saves nothing: the only
/// gradient it passes is the input's, ∂L/∂x = ∂L/∂y · Wᵀ, and its backward dequantises W again instead of keeping the
/// dense copy. Left to autograd, a plain matmul keeps every layer's dequantised weight until backward (for a 14B model
/// ~27 GB of bf16, against its ~8 GB of NF4), which is what QLoRA's 4-bit storage is meant to avoid.
/// </summary>
internal sealed class Nf4MatMul : SingleTensorFunction<Nf4MatMul>
{
    const string WeightKey = "weight";

    public override string Name => nameof(Nf4MatMul);

    /// <summary>x [N, in] → [N, out] in x's dtype; through the function only when a gradient will flow back into x.</summary>
    public static Tensor Apply(Tensor x, Nf4Tensor weight)
    {
        if (is_grad_enabled() && x.requires_grad) return apply(x, weight);
        using var w = weight.Dequantize(x.dtype);
        return x.matmul(w);
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var weight = (Nf4Tensor)vars[1];
        ctx.save_data(WeightKey, weight);
        using var w = weight.Dequantize(x.dtype);
        return x.matmul(w);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        var weight = (Nf4Tensor)ctx.get_data(WeightKey);
        using var w = weight.Dequantize(gradOutput.dtype);
        // The weight is not a tensor argument (it has no gradient): its slot gets null.
        return [gradOutput.matmul(w.t()), null!];
    }
}
