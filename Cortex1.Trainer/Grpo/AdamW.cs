using Cortex1.Model.Loading;
using Cortex1.Model.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Grpo;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019, Algorithm 2), computed as torch.optim.AdamW does:
/// <code>
///   θ ← θ − η·λ·θ                                  decoupled weight decay
///   m ← β₁·m + (1 − β₁)·g                          first moment
///   v ← β₂·v + (1 − β₂)·g²                         second moment
///   θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// Ours rather than TorchSharp's for two reasons: TorchSharp's step hands libtorch Scalars only the garbage collector
/// owns (see <see cref="Cortex1.Model.Diagnostics.ScalarAudit"/>), and a training job that resumes from a checkpoint
/// needs the moments back, which <see cref="Save"/> and <see cref="Load"/> write next to the adapter.
/// </summary>
public sealed class AdamW : IDisposable
{
    public const string StateFile = "optimizer.safetensors";

    readonly IReadOnlyList<Parameter> _parameters;
    readonly Tensor[] _m, _v;

    /// <summary>Settable between steps, for a schedule (pretraining sets it every step).</summary>
    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }
    /// <summary>Steps taken (t), which the bias corrections use.</summary>
    public long Steps { get; private set; }

    public AdamW(IReadOnlyList<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0.01)
    {
        if (learningRate <= 0) throw new ArgumentOutOfRangeException(nameof(learningRate), "The learning rate must be positive.");
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), "Betas must be in [0, 1).");
        _parameters = parameters;
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay;
        _m = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _v = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.grad?.zero_();
    }

    public void Step()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Steps++;
        var bias1 = 1 - Math.Pow(Beta1, Steps);
        var bias2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, Steps));
        for (var i = 0; i < _parameters.Count; i++)
        {
            var theta = _parameters[i];
            if (theta.grad is not { } g) continue;
            theta.TimesInPlace(1 - LearningRate * WeightDecay);
            _m[i].TimesInPlace(Beta1).PlusScaledInPlace(g, 1 - Beta1);
            _v[i].TimesInPlace(Beta2).PlusProductInPlace(g, g, 1 - Beta2);
            var denominator = _v[i].sqrt().DividedBy(bias2Sqrt).Plus(Epsilon);
            theta.PlusQuotientInPlace(_m[i], denominator, -LearningRate / bias1);
        }
    }

    /// <summary>Writes the moments and the step count to <c>{folder}/optimizer.safetensors</c>.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var tensors = _m.Select((m, i) => ($"m.{i}", m)).Concat(_v.Select((v, i) => ($"v.{i}", v))).ToList();
        SafeTensors.Write(Path.Combine(folder, StateFile), tensors,
            new Dictionary<string, string> { ["steps"] = Steps.ToString(System.Globalization.CultureInfo.InvariantCulture), ["parameters"] = _m.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Restores what <see cref="Save"/> wrote; false (state left fresh) when the folder has none.</summary>
    public bool Load(string folder)
    {
        var path = Path.Combine(folder, StateFile);
        if (!File.Exists(path)) return false;
        using var file = new SafeTensorsFile(path);
        if (!file.Metadata.TryGetValue("parameters", out var count) || count != _m.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path} holds the state of {count ?? "an unknown number of"} parameters; this adapter has {_m.Length}.");
        using var _ = no_grad();
        for (var i = 0; i < _m.Length; i++)
        {
            using var m = file.Read($"m.{i}");
            using var v = file.Read($"v.{i}");
            _m[i].copy_(m);
            _v[i].copy_(v);
        }
        Steps = long.Parse(file.Metadata["steps"], System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
    }
}
