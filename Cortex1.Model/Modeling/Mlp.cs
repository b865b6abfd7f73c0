using Cortex1.Model.Config;
using static TorchSharp.torch;

namespace Cortex1.Model.Modeling;

/// <summary>
/// The SwiGLU feed-forward block: down(silu(gate(x)) · up(x)). phi3 stores gate and up as one fused gate_up_proj,
/// qwen2 and llama as two; which one is decided here, when the layer is built.
/// </summary>
public sealed class Mlp : IDisposable
{
    readonly long _intermediate;
    readonly Projection? _gateUp, _gate, _up;

    public Projection Down { get; }

    /// <summary>The input projections by HF module name (gate_proj and up_proj, or phi3's gate_up_proj).</summary>
    public IReadOnlyList<Projection> Inputs { get; }

    internal Mlp(ModelConfig c, string prefix)
    {
        long h = c.HiddenSize;
        _intermediate = c.IntermediateSize;
        if (c.FusedProjections)
        {
            _gateUp = new Projection($"{prefix}.gate_up_proj", h, 2 * _intermediate);
            Inputs = [_gateUp];
        }
        else
        {
            _gate = new Projection($"{prefix}.gate_proj", h, _intermediate);
            _up = new Projection($"{prefix}.up_proj", h, _intermediate);
            Inputs = [_gate, _up];
        }
        Down = new Projection($"{prefix}.down_proj", _intermediate, h);
    }

    /// <summary>x [N, hidden] (normed) → [N, hidden].</summary>
    internal Tensor Forward(Tensor x, AdapterRouting routing)
    {
        using var scope = NewDisposeScope();
        Tensor gate, up;
        if (_gateUp is not null)
        {
            var gu = _gateUp.Forward(x, routing);
            gate = gu.narrow(1, 0, _intermediate); up = gu.narrow(1, _intermediate, _intermediate);
        }
        else { gate = _gate!.Forward(x, routing); up = _up!.Forward(x, routing); }
        return Down.Forward(Blocks.SwiGlu(gate, up), routing).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var p in Inputs) p.Dispose();
        Down.Dispose();
    }
}
