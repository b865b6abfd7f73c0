using Cortex1.Model.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cortex1.Model.Lora;

/// <summary>
/// One projection's LoRA pair, stored for matmul as A [in, r] and B [r, out] in fp32 (trainable Parameters).
/// PEFT stores lora_A.weight [r, in] and lora_B.weight [out, r]; <see cref="PeftFormat"/> transposes.
/// </summary>
public sealed class LoraWeights : IDisposable
{
    public Parameter A { get; }
    public Parameter B { get; }
    public double Scale { get; }
    public double Dropout { get; }

    public LoraWeights(Tensor a, Tensor b, double scale, double dropout)
    {
        // Own copies, outside any dispose scope: the caller keeps (and may dispose) its tensors. The temporaries live in
        // a scope, so none is left to the collector mid-call.
        using var scope = NewDisposeScope();
        A = Own(a);
        B = Own(b);
        Scale = scale;
        Dropout = dropout;
    }

    static Parameter Own(Tensor t)
    {
        var p = new Parameter(t.detach().to(ScalarType.Float32).clone().DetachFromDisposeScope(), requires_grad: true);
        p.DetachFromDisposeScope();
        return p;
    }

    /// <summary>Fresh adapter: A Kaiming-uniform (as PEFT's default init), B zero, so ΔW = 0.</summary>
    public static LoraWeights Create(long inFeatures, long outFeatures, LoraConfig config, Device device, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using var a = rand([inFeatures, config.Rank], generator: generator, device: device).Times(2).Plus(-1).Times(bound);
        using var b = zeros([config.Rank, outFeatures], device: device);
        return new LoraWeights(a, b, config.Scale, config.Dropout);
    }

    [ThreadStatic] static bool t_trainingWithoutGrad;

    /// <summary>Marks a training forward that runs without autograd (a checkpointed layer's first pass): dropout must draw
    /// there the masks its recomputation, with autograd on, will draw again.</summary>
    internal static TrainingWithoutGrad Training() => new();

    internal readonly struct TrainingWithoutGrad : IDisposable
    {
        readonly bool _outer;
        public TrainingWithoutGrad() { _outer = t_trainingWithoutGrad; t_trainingWithoutGrad = true; }
        public void Dispose() => t_trainingWithoutGrad = _outer;
    }

    /// <summary>(dropout(x) · A · B) · scale, in x's dtype. Dropout is applied only while training: autograd on, or
    /// inside <see cref="Training"/>.</summary>
    public Tensor Delta(Tensor x)
    {
        using var scope = NewDisposeScope();
        var xf = x.to(ScalarType.Float32);
        if (Dropout > 0 && (is_grad_enabled() || t_trainingWithoutGrad)) xf = nn.functional.dropout(xf, Dropout, training: true);
        return xf.matmul(A).matmul(B).Times(Scale).to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>ΔW in [in, out] layout, fp32.</summary>
    public Tensor DeltaWeight() { using (no_grad()) return A.matmul(B).Times(Scale); }

    public void Dispose() { A.Dispose(); B.Dispose(); }
}
