using Cortex1.Model.Lora;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Cortex1.Model.Modeling;

/// <summary>
/// Gradient checkpointing of one decoder layer (Chen et al. 2016; HF's gradient_checkpointing): the forward runs
/// without autograd and keeps only the layer's input; backward runs the layer's forward again with autograd on and
/// takes the gradients of the input and of the adapter's LoRA weights from that recomputed graph. So between forward
/// and backward a layer holds one [N, hidden] tensor instead of all its activations (attention's inputs and outputs,
/// the MLP's [N, intermediate] gate/up, the LoRA products), for about one more forward of compute.
/// </summary>
internal sealed class CheckpointedLayer : MultiTensorFunction<CheckpointedLayer>
{
    const string CallKey = "call";

    /// <summary>What the recomputation needs besides the tensors saved for it (x, cos, sin and the plan's mask, which the
    /// graph keeps alive: the forward's own handles are disposed with its scope long before backward).</summary>
    sealed record Call(DecoderLayer Layer, int Index, BatchPlan Plan, AdapterRouting Routing, bool HasMask, RandomState? Random);

    public override string Name => nameof(CheckpointedLayer);

    /// <summary>The LoRA weights of <paramref name="routing"/>'s adapters in this layer that take a gradient.</summary>
    public static IReadOnlyList<Tensor> TrainableWeights(DecoderLayer layer, AdapterRouting routing) =>
        [.. from p in layer.Projections.Values
            from g in routing.Groups
            where p.Adapters.ContainsKey(g.Name)
            let lora = p.Adapters[g.Name]
            from w in new Tensor[] { lora.A, lora.B }
            where w.requires_grad
            select w];

    /// <summary>The layer's output, checkpointed when autograd would otherwise record it; else its plain forward.</summary>
    public static Tensor Forward(DecoderLayer layer, Tensor x, Tensor cos, Tensor sin, int index, BatchPlan plan, AdapterRouting routing)
    {
        var weights = TrainableWeights(layer, routing);
        if (!is_grad_enabled() || (weights.Count == 0 && !x.requires_grad) || routing.Groups.Any(g => g.Rows is not null))
            return layer.Forward(x, cos, sin, index, plan, routing);
        var dropout = layer.Projections.Values.Any(p => routing.Groups.Any(g => p.Adapters.TryGetValue(g.Name, out var l) && l.Dropout > 0));
        var call = new Call(layer, index, plan, routing, plan.Mask is not null, dropout ? RandomState.Capture(x.device) : null);
        object[] args = [call, x, cos, sin, plan.Mask!, .. weights];
        return apply(args)[0];
    }

    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        var call = (Call)vars[0];
        var (x, cos, sin) = ((Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3]);
        ctx.save_data(CallKey, call);
        ctx.save_for_backward(call.HasMask ? [x, cos, sin, (Tensor)vars[4]] : [x, cos, sin]);
        using var _ = LoraWeights.Training();
        return [call.Layer.Forward(x, cos, sin, call.Index, call.Plan, call.Routing)];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var call = (Call)ctx.get_data(CallKey);
        var saved = ctx.get_saved_variables();
        var (x, cos, sin) = (saved[0], saved[1], saved[2]);
        var plan = call.Plan.WithMask(call.HasMask ? saved[3] : null);
        var weights = TrainableWeights(call.Layer, call.Routing);
        List<Tensor> grads;
        using (var scope = NewDisposeScope())
        using (enable_grad())
        {
            var input = x.detach().requires_grad_(x.requires_grad);
            Tensor output;
            using (call.Random?.Replay())
                output = call.Layer.Forward(input, cos, sin, call.Index, plan, call.Routing);
            List<Tensor> wrt = x.requires_grad ? [input, .. weights] : [.. weights];
            var found = grad([output], wrt, [gradOutputs[0]]).ToList();
            if (!x.requires_grad) found.Insert(0, null!);
            grads = [.. found.Select(g => g?.MoveToOuterDisposeScope()!)];
        }
        // One slot per forward argument: the call (no tensor), x, cos, sin and the mask (no gradient), then the weights.
        return [null!, grads[0], null!, null!, null!, .. grads.Skip(1)];
    }
}

/// <summary>
/// The random stream LoRA dropout draws from, captured before a checkpointed forward and replayed for its recomputation,
/// so both draw the same masks. On the CPU the generator's state is saved, then set again for the recomputation and put
/// back after it; TorchSharp exposes no CUDA RNG state, so there the forward seeds the CUDA generator with a value drawn
/// from the CPU one, and the recomputation seeds it again with the same value.
/// </summary>
internal sealed class RandomState
{
    readonly byte[]? _cpu;
    readonly long _cudaSeed;

    RandomState(byte[]? cpu, long cudaSeed) { _cpu = cpu; _cudaSeed = cudaSeed; }

    public static RandomState Capture(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            using var draw = randint(1, int.MaxValue, [1], ScalarType.Int64);
            var seed = draw.item<long>();
            torch.cuda.manual_seed(seed);
            return new RandomState(null, seed);
        }
        using var state = torch.random.get_rng_state();
        return new RandomState(state.data<byte>().ToArray(), 0);
    }

    /// <summary>Sets the stream to the captured point; disposing puts the CPU stream back where it was.</summary>
    public IDisposable Replay()
    {
        if (_cpu is null)
        {
            torch.cuda.manual_seed(_cudaSeed);
            return new Restore(null);
        }
        var current = torch.random.get_rng_state();
        using (var captured = tensor(_cpu)) torch.random.set_rng_state(captured);
        return new Restore(current);
    }

    sealed class Restore(Tensor? previous) : IDisposable
    {
        public void Dispose()
        {
            if (previous is null) return;
            torch.random.set_rng_state(previous);
            previous.Dispose();
        }
    }
}
