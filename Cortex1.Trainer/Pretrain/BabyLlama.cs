using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cortex1.Trainer.Pretrain;

/// <summary>
/// The Llama decoder with every weight trainable, for pretraining from scratch. The engine's decoder is built for
/// inference and LoRA (base frozen, [in, out] layout, NF4); this one holds HF-named parameters in HF's [out, in]
/// layout and runs the same blocks (<see cref="Blocks"/>), so what it learns loads in the engine unchanged
/// (the tests compare the two models' logits). Tied embeddings; no biases; fp32.
/// </summary>
public sealed class BabyLlama : IDisposable
{
    readonly List<(string Name, Parameter Value)> _parameters = [];
    readonly Dictionary<string, Parameter> _byName = [];
    readonly Tensor _invFreq;

    public ModelConfig Config { get; }
    public IReadOnlyList<Parameter> Parameters => [.. _parameters.Select(p => p.Value)];
    public long ParameterCount => _parameters.Sum(p => p.Value.NumberOfElements);

    /// <summary>Random initialisation as GPT-2 / Llama do: N(0, 0.02), the residual outputs scaled by 1/√(2·layers), norms at 1.</summary>
    public BabyLlama(ModelConfig config, int seed)
    {
        if (!config.TieWordEmbeddings || config.AttentionBias || config.ModelType != "llama")
            throw new ArgumentException("BabyLlama is a llama with tied embeddings and no biases.", nameof(config));
        Config = config;
        _invFreq = tensor(Blocks.RopeInverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling));
        using var generator = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        long h = config.HiddenSize, d = config.HeadDim, q = config.NumHeads * d, kv = config.NumKvHeads * d, inter = config.IntermediateSize;
        var residualStd = 0.02 / Math.Sqrt(2.0 * config.NumLayers);
        Add("model.embed_tokens.weight", randn([config.VocabSize, h], generator: generator).Times(0.02));
        for (var i = 0; i < config.NumLayers; i++)
        {
            var p = $"model.layers.{i}";
            Add($"{p}.input_layernorm.weight", ones(h));
            Add($"{p}.self_attn.q_proj.weight", randn([q, h], generator: generator).Times(0.02));
            Add($"{p}.self_attn.k_proj.weight", randn([kv, h], generator: generator).Times(0.02));
            Add($"{p}.self_attn.v_proj.weight", randn([kv, h], generator: generator).Times(0.02));
            Add($"{p}.self_attn.o_proj.weight", randn([h, q], generator: generator).Times(residualStd));
            Add($"{p}.post_attention_layernorm.weight", ones(h));
            Add($"{p}.mlp.gate_proj.weight", randn([inter, h], generator: generator).Times(0.02));
            Add($"{p}.mlp.up_proj.weight", randn([inter, h], generator: generator).Times(0.02));
            Add($"{p}.mlp.down_proj.weight", randn([h, inter], generator: generator).Times(residualStd));
        }
        Add("model.norm.weight", ones(h));
    }

    /// <summary>Overwrites every weight with the one of the same name in <paramref name="folder"/>'s safetensors (a model of this shape).</summary>
    public void LoadWeights(string folder)
    {
        using var _ = no_grad();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in SafeTensors.ModelFiles(folder))
        {
            using var st = new SafeTensorsFile(file);
            foreach (var name in st.Tensors.Keys)
            {
                if (!_byName.TryGetValue(name, out var target)) throw new InvalidDataException($"{file}: '{name}' is not a weight of this model.");
                using var value = st.Read(name);
                if (!value.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"{file}: '{name}' is [{string.Join(", ", value.shape)}], this model's is [{string.Join(", ", target.shape)}].");
                target.copy_(value); // copy_ converts the dtype
                seen.Add(name);
            }
        }
        if (_byName.Keys.FirstOrDefault(n => !seen.Contains(n)) is { } missing) throw new InvalidDataException($"{folder}: no weight '{missing}'.");
    }

    void Add(string name, Tensor value)
    {
        var parameter = new Parameter(value.contiguous().detach().clone().DetachFromDisposeScope(), requires_grad: true);
        _parameters.Add((name, parameter));
        _byName[name] = parameter;
    }

    Tensor W(string name) => _byName[name];

    /// <summary>Logits [B, T, vocab] for token ids [B, T] (int64), causal, positions 0…T−1, with autograd into every weight.</summary>
    public Tensor Forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        long b = ids.shape[0], t = ids.shape[1];
        int heads = Config.NumHeads, kvHeads = Config.NumKvHeads, d = Config.HeadDim;
        var x = W("model.embed_tokens.weight").index_select(0, ids.reshape(b * t)).view(b, t, -1);
        var (cos, sin) = Blocks.RopeTables(Scalars.Range(0, t), _invFreq, ScalarType.Float32);
        for (var i = 0; i < Config.NumLayers; i++)
        {
            var p = $"model.layers.{i}";
            var n = Blocks.RmsNorm(x, W($"{p}.input_layernorm.weight"), Config.RmsNormEps);
            var q = Blocks.ApplyRope(n.matmul(W($"{p}.self_attn.q_proj.weight").t()).view(b, t, heads, d), cos, sin).transpose(1, 2);
            var k = Blocks.ApplyRope(n.matmul(W($"{p}.self_attn.k_proj.weight").t()).view(b, t, kvHeads, d), cos, sin).transpose(1, 2);
            var v = n.matmul(W($"{p}.self_attn.v_proj.weight").t()).view(b, t, kvHeads, d).transpose(1, 2);
            var attended = Blocks.FusedAttention(q, k, v, null, causal: true).transpose(1, 2).reshape(b, t, heads * d);
            x = x.Plus(attended.matmul(W($"{p}.self_attn.o_proj.weight").t()));
            var m = Blocks.RmsNorm(x, W($"{p}.post_attention_layernorm.weight"), Config.RmsNormEps);
            var mlp = Blocks.SwiGlu(m.matmul(W($"{p}.mlp.gate_proj.weight").t()), m.matmul(W($"{p}.mlp.up_proj.weight").t()));
            x = x.Plus(mlp.matmul(W($"{p}.mlp.down_proj.weight").t()));
        }
        x = Blocks.RmsNorm(x, W("model.norm.weight"), Config.RmsNormEps);
        return x.matmul(W("model.embed_tokens.weight").t()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean next-token cross-entropy of a batch of windows [B, T + 1]: positions 0…T−1 predict 1…T. With
    /// <paramref name="firstTarget"/>, tokens before it are context only (read, never predicted): the mean is over tokens
    /// <paramref name="firstTarget"/>…T.
    /// </summary>
    public Tensor Loss(Tensor window, int firstTarget = 1)
    {
        using var scope = NewDisposeScope();
        long t = window.shape[1] - 1;
        var logits = Forward(window.narrow(1, 0, t));
        var targets = window.narrow(1, 1, t);
        if (firstTarget > 1)
        {
            // Token j of the window is predicted at position j − 1. (A bool mask from C#: every Scalar the trainer hands
            // libtorch is held by Scalars, see ScalarAudit.)
            using var context = tensor(Enumerable.Range(0, (int)t).Select(j => j < firstTarget - 1).ToArray(), [1, t]);
            targets = targets.Fill(context, IgnoredTarget);
        }
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), targets.reshape(-1), ignore_index: IgnoredTarget).MoveToOuterDisposeScope();
    }

    /// <summary>The target id cross-entropy skips (PyTorch's default ignore_index).</summary>
    const long IgnoredTarget = -100;

    /// <summary>The weights in HF names and layout, detached copies in <paramref name="dtype"/>. Caller disposes.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Export(ScalarType dtype = ScalarType.Float32)
    {
        using var _ = no_grad();
        return [.. _parameters.Select(p => (p.Name, p.Value.detach().to(dtype).contiguous().clone()))];
    }

    public void Dispose()
    {
        foreach (var (_, p) in _parameters) p.Dispose();
        _invFreq.Dispose();
    }
}
