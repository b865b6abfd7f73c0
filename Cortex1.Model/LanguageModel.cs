using System.Diagnostics;
using System.Text.Json.Nodes;
using Cortex1.Model.Chat;
using Cortex1.Model.Config;
using Cortex1.Model.Devices;
using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using Cortex1.Model.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Cortex1.Model;

/// <summary>
/// A loaded causal language model: decoder weights, tokenizer, chat template, and LoRA adapters. Inference goes
/// through per-sequence KV caches (Prefill, then batched DecodeStep); training through Forward over padded batches.
/// Not thread-safe: one forward at a time (the server serialises steps and batches across requests instead).
/// </summary>
public sealed class LanguageModel : IDisposable
{
    readonly Dictionary<string, LoraConfig> _adapters = [];

    public ModelConfig Config { get; }
    public TextTokenizer Tokenizer { get; }
    public IChatTemplate ChatTemplate { get; }
    public Decoder Decoder { get; }
    public string Name { get; }
    public string Folder { get; }
    public LoadOptions Options { get; }
    public int ContextLength => Config.MaxPositionEmbeddings;
    public Device Device => Decoder.Device;
    public ScalarType DType => Decoder.DType;
    public IReadOnlyCollection<string> Adapters => _adapters.Keys;
    public IReadOnlyDictionary<string, LoraConfig> AdapterConfigs => _adapters;
    /// <summary>Adapter used by <see cref="NewCache"/> when none is named, and by <see cref="Forward"/>; null = base model.</summary>
    public string? ActiveAdapter
    {
        get;
        set => field = value is null || _adapters.ContainsKey(value) ? value : throw new KeyNotFoundException($"No adapter '{value}' is loaded.");
    }
    /// <summary>Wall time and peak process memory of the load.</summary>
    public TimeSpan LoadTime { get; }
    public long LoadPeakBytes { get; }

    LanguageModel(string folder, LoadOptions options, ModelConfig config, TextTokenizer tokenizer, IChatTemplate template, Decoder decoder, TimeSpan loadTime, long peak)
    {
        Folder = folder; Options = options; Config = config; Tokenizer = tokenizer; ChatTemplate = template; Decoder = decoder;
        Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        LoadTime = loadTime; LoadPeakBytes = peak;
    }

    /// <summary>
    /// Loads an HF folder. Tensors stream shard by shard through a memory map; each is converted (or NF4-quantised)
    /// as it arrives and its source freed, so peak memory stays near the final model size.
    /// </summary>
    public static LanguageModel Load(string folder, LoadOptions? options = null, IProgress<string>? progress = null)
    {
        options ??= LoadOptions.Default;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Model folder '{folder}' does not exist.");
        var sw = Stopwatch.StartNew();
        var config = ModelConfig.Load(folder);
        var device = DeviceSelector.Resolve(options.Device);
        var dtype = options.DType ?? DeviceSelector.DefaultDType(device);
        var tokenizer = TextTokenizer.Load(folder, config.EosTokenIds);
        string? jinja = null;
        var tcPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(tcPath)) jinja = JsonNode.Parse(File.ReadAllText(tcPath))?["chat_template"] is JsonValue v ? v.GetValue<string>() : null;
        var template = ChatTemplates.For(jinja, config.ModelType, tokenizer.BosToken);

        var decoder = new Decoder(config, dtype, device, options.Quantization == Quantization.Nf4);
        try
        {
            var pending = new HashSet<string>(decoder.RequiredTensorNames());
            var files = SafeTensors.ModelFiles(folder);
            long peak = Environment.WorkingSet;
            for (var f = 0; f < files.Count; f++)
            {
                using var file = new SafeTensorsFile(files[f]);
                progress?.Report($"Loading {Path.GetFileName(files[f])} ({f + 1}/{files.Count}, {file.Tensors.Count} tensors)");
                foreach (var name in file.Tensors.Keys)
                {
                    if (!pending.Contains(name)) continue;
                    using (var src = file.Read(name)) decoder.Assign(name, src);
                    pending.Remove(name);
                    peak = Math.Max(peak, Environment.WorkingSet);
                }
            }
            if (pending.Count > 0)
                throw new InvalidDataException($"Model folder '{folder}' is missing tensor '{pending.Order(StringComparer.Ordinal).First()}'" +
                                               (pending.Count > 1 ? $" (and {pending.Count - 1} more)." : "."));
            progress?.Report($"Loaded {config.ModelType} ({config.NumLayers} layers, {dtype}{(decoder.Quantized ? "/nf4" : "")}, {device.type}) in {sw.Elapsed.TotalSeconds:F1}s, weights {decoder.WeightBytes / 1e6:F0} MB");
            return new LanguageModel(folder, options, config, tokenizer, template, decoder, sw.Elapsed, peak);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>A new, empty cache for one sequence; it runs with `adapter` (default: <see cref="ActiveAdapter"/>).</summary>
    public KvCache NewCache(string? adapter = null)
    {
        adapter ??= ActiveAdapter;
        CheckAdapter(adapter);
        return new KvCache(Config.NumLayers, Config.NumKvHeads, Config.HeadDim, DType, Device, adapter);
    }

    /// <summary>Runs `tokens` through the model after what the cache holds; returns the last position's logits (fp32).</summary>
    public float[] Prefill(KvCache cache, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length == 0) throw new ArgumentException("Prefill needs at least one token.", nameof(tokens));
        return Extend([cache], [tokens.ToArray()])[0];
    }

    /// <summary>
    /// One new token for each of B sequences in ONE forward: projections and MLP run on [B, hidden] (weights read once);
    /// attention runs per sequence over its own cache, so sequences of any lengths (and adapters) share a step.
    /// </summary>
    public float[][] DecodeStep(IReadOnlyList<KvCache> caches, IReadOnlyList<int> tokens)
    {
        if (caches.Count != tokens.Count) throw new ArgumentException("One token per cache.");
        return Extend(caches, tokens.Select(t => new[] { t }).ToList());
    }

    /// <summary>
    /// Runs each sequence's new tokens after what its cache holds, all sequences in ONE forward: projections and MLP over
    /// the rows of every sequence (weights read, or NF4-dequantised, once), attention per sequence over its own cache,
    /// each with its own adapter. Prefill of several prompts and a batched decode step are both this. Fresh caches given
    /// the same tokens with the same adapter (a request's n choices, a GRPO group) share one run: the first one's cache is
    /// copied into the others. Returns each sequence's last-position logits (fp32; shared ones are the same array).
    /// </summary>
    public float[][] Extend(IReadOnlyList<KvCache> caches, IReadOnlyList<int[]> tokens)
    {
        if (caches.Count != tokens.Count) throw new ArgumentException("One token list per cache.");
        if (caches.Count == 0) return [];
        if (caches.Distinct().Count() != caches.Count) throw new ArgumentException("A cache appears twice in one forward.");
        for (var i = 0; i < caches.Count; i++)
        {
            if (tokens[i].Length == 0) throw new ArgumentException("Every sequence needs at least one new token.", nameof(tokens));
            CheckRoom(caches[i], tokens[i].Length);
        }
        var leaderOf = LeadersOf(caches, tokens);
        var runs = Enumerable.Range(0, caches.Count).Where(i => leaderOf[i] == i).ToList();
        var logitsOfRun = Run(runs.Select(i => caches[i]).ToList(), runs.Select(i => tokens[i]).ToList());
        var result = new float[caches.Count][];
        for (var r = 0; r < runs.Count; r++) result[runs[r]] = logitsOfRun[r];
        for (var i = 0; i < caches.Count; i++)
        {
            if (leaderOf[i] == i) continue;
            caches[i].CopyFrom(caches[leaderOf[i]]);
            result[i] = result[leaderOf[i]];
        }
        return result;
    }

    /// <summary>For each sequence, the first earlier one it can copy: both caches empty, same adapter, same tokens.</summary>
    static int[] LeadersOf(IReadOnlyList<KvCache> caches, IReadOnlyList<int[]> tokens)
    {
        var leaderOf = new int[caches.Count];
        for (var i = 0; i < caches.Count; i++)
        {
            leaderOf[i] = i;
            if (caches[i].Length != 0) continue;
            for (var j = 0; j < i; j++)
                if (leaderOf[j] == j && caches[j].Length == 0 && caches[j].Adapter == caches[i].Adapter && tokens[j].AsSpan().SequenceEqual(tokens[i]))
                {
                    leaderOf[i] = j;
                    break;
                }
        }
        return leaderOf;
    }

    float[][] Run(IReadOnlyList<KvCache> caches, IReadOnlyList<int[]> tokens)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var n = tokens.Sum(t => t.Length);
        var ids = new int[n];
        var positions = new long[n];
        var last = new long[caches.Count];
        var segments = new List<(KvCache, int, int)>(caches.Count);
        for (int i = 0, row = 0; i < caches.Count; row += tokens[i].Length, i++)
        {
            tokens[i].CopyTo(ids, row);
            for (var j = 0; j < tokens[i].Length; j++) positions[row + j] = caches[i].Length + j;
            segments.Add((caches[i], row, tokens[i].Length));
            last[i] = row + tokens[i].Length - 1;
        }
        var plan = new CachedPlan(segments, Config.NumHeads, Config.NumKvHeads, Config.HeadDim, Device);
        var hidden = Decoder.Forward(IdTensor(ids), tensor(positions, device: Device), plan, Routing(caches, tokens));
        // Only each sequence's last row needs logits: the lm_head is the widest matmul there is.
        if (n > caches.Count) hidden = hidden.index_select(0, tensor(last, device: Device));
        var logits = Decoder.Logits(hidden).to(ScalarType.Float32).cpu();
        for (var i = 0; i < caches.Count; i++) caches[i].Commit(tokens[i]);
        var flat = logits.data<float>().ToArray();
        var v = (int)logits.shape[1];
        return Enumerable.Range(0, caches.Count).Select(i => flat.AsSpan(i * v, v).ToArray()).ToArray();
    }

    /// <summary>Which rows each adapter applies to: sequence i's rows are its segment of the forward.</summary>
    AdapterRouting Routing(IReadOnlyList<KvCache> caches, IReadOnlyList<int[]> tokens)
    {
        var named = caches.Select(c => c.Adapter).OfType<string>().Distinct().ToList();
        if (named.Count == 0) return AdapterRouting.None;
        if (named.Count == 1 && caches.All(c => c.Adapter == named[0])) return AdapterRouting.All(named[0]);
        var rows = named.ToDictionary(a => a, _ => new List<long>());
        for (int i = 0, row = 0; i < caches.Count; row += tokens[i].Length, i++)
            if (caches[i].Adapter is { } adapter)
                for (var j = 0; j < tokens[i].Length; j++) rows[adapter].Add(row + j);
        return new AdapterRouting(named.Select(a => (a, (Tensor?)tensor(rows[a].ToArray(), device: Device))).ToList());
    }

    /// <summary>
    /// Training/scoring forward over a batch: ids [B, T] (int64), optional attention mask [B, T] (1 = token, 0 = pad;
    /// left or right padding), adapter = LoRA to apply (null = base; default <see cref="ActiveAdapter"/> when omitted).
    /// Returns logits [B, T, vocab] in the compute dtype, with autograd into the adapter's A/B when grad is enabled.
    /// With <paramref name="keepLast"/> &gt; 0, only the last keepLast positions' logits [B, keepLast, vocab] (HF's
    /// logits_to_keep): training scores completions, and a long prompt's [T, vocab] logits would dwarf everything else.
    /// </summary>
    public Tensor Forward(Tensor ids, Tensor? attentionMask = null, string? adapter = null, bool useActiveAdapter = true, int keepLast = 0)
    {
        if (ids.ndim != 2) throw new ArgumentException("ids must be [batch, time].", nameof(ids));
        if (ids.shape[1] > ContextLength) throw new ArgumentException($"Sequence length {ids.shape[1]} exceeds the context length {ContextLength}.");
        if (keepLast < 0 || keepLast > ids.shape[1]) throw new ArgumentOutOfRangeException(nameof(keepLast), $"keepLast must be in [0, {ids.shape[1]}].");
        var name = adapter ?? (useActiveAdapter ? ActiveAdapter : null);
        CheckAdapter(name);
        using var scope = NewDisposeScope();
        long b = ids.shape[0], t = ids.shape[1];
        var flatIds = ids.to(Device).to(ScalarType.Int64).reshape(b * t);
        Tensor positions;
        Tensor? keyMask = null;
        if (attentionMask is not null)
        {
            keyMask = attentionMask.to(Device).to(ScalarType.Bool);
            // Positions count real tokens only, as HF's generate does, so left padding does not shift RoPE.
            positions = keyMask.to(ScalarType.Int64).cumsum(1).Plus(-1).AtLeast(0).reshape(b * t);
        }
        else positions = Scalars.Range(0, t, Device).repeat(b);
        // Without a mask (no padding) the batch is plainly causal, which the fused kernel runs without a [T, T] mask.
        var allowed = keyMask is null ? null : Blocks.CausalMask(0, t, Device).unsqueeze(0).logical_and(keyMask.unsqueeze(1));
        var plan = new BatchPlan(b, t, allowed, Config.NumHeads, Config.NumKvHeads, Config.HeadDim);
        var hidden = Decoder.Forward(flatIds, positions, plan, AdapterRouting.All(name));
        var kept = keepLast == 0 ? t : keepLast;
        if (kept < t) hidden = hidden.view(b, t, -1).narrow(1, t - kept, kept).reshape(b * kept, -1);
        return Decoder.Logits(hidden).view(b, kept, -1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Training/scoring forward over one prompt and several completions of it (a GRPO group), laid out as ONE sequence
    /// [prompt, completion 1, …, completion G]: each completion attends to the prompt and to its own earlier tokens and
    /// has the positions it would have right after the prompt, so every logit equals the padded batch's, but the prompt
    /// runs through the model once instead of G times. Returns logits [1 + Σ|completion|, vocab] for the prompt's last
    /// row followed by every completion row, in the compute dtype, with autograd into the adapter when grad is on.
    /// </summary>
    public Tensor ForwardGroup(IReadOnlyList<int> prompt, IReadOnlyList<IReadOnlyList<int>> completions, string? adapter)
    {
        if (prompt.Count == 0) throw new ArgumentException("The prompt is empty.", nameof(prompt));
        CheckAdapter(adapter);
        if (completions.Count == 0 || completions.Any(c => c.Count == 0)) throw new ArgumentException("Every completion needs a token.", nameof(completions));
        var p = prompt.Count;
        if (p + completions.Max(c => c.Count) > ContextLength)
            throw new ArgumentException($"A prompt and completion of {p + completions.Max(c => c.Count)} tokens exceed the context length {ContextLength}.");
        var n = p + completions.Sum(c => c.Count);
        var ids = new int[n];
        var positions = new long[n];
        var allowed = new bool[(long)n * n];
        for (var i = 0; i < p; i++)
        {
            ids[i] = prompt[i];
            positions[i] = i;
            for (var j = 0; j <= i; j++) allowed[(long)i * n + j] = true;
        }
        for (int g = 0, start = p; g < completions.Count; start += completions[g].Count, g++)
            for (var t = 0; t < completions[g].Count; t++)
            {
                var row = start + t;
                ids[row] = completions[g][t];
                positions[row] = p + t;
                for (var j = 0; j < p; j++) allowed[(long)row * n + j] = true;
                for (var j = start; j <= row; j++) allowed[(long)row * n + j] = true;
            }
        using var scope = NewDisposeScope();
        var plan = new BatchPlan(1, n, tensor(allowed, [1, n, n], device: Device), Config.NumHeads, Config.NumKvHeads, Config.HeadDim);
        var hidden = Decoder.Forward(IdTensor(ids), tensor(positions, device: Device), plan, AdapterRouting.All(adapter));
        return Decoder.Logits(hidden.narrow(0, p - 1, n - p + 1)).MoveToOuterDisposeScope();
    }

    /// <summary>An unknown name would silently run (and train) the base model: refuse it.</summary>
    void CheckAdapter(string? adapter)
    {
        if (adapter is not null && !_adapters.ContainsKey(adapter)) throw new KeyNotFoundException($"No adapter '{adapter}' is loaded.");
    }

    Tensor IdTensor(ReadOnlySpan<int> tokens)
    {
        var ids = new long[tokens.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {tokens[i]} is outside the vocabulary (size {Config.VocabSize}).");
            ids[i] = tokens[i];
        }
        return tensor(ids, device: Device);
    }

    void CheckRoom(KvCache cache, int more)
    {
        if (cache.Length + more > ContextLength)
            throw new InvalidOperationException($"Sequence would reach {cache.Length + more} tokens, past the context length {ContextLength}.");
    }

    // ---- LoRA ----

    /// <summary>The projections a LoRA target names on this architecture (phi3: q/k/v → qkv_proj, gate/up → gate_up_proj).</summary>
    internal IEnumerable<Projection> TargetProjections(IEnumerable<string> targets)
    {
        var names = targets.Select(t => Config.FusedProjections ? t switch
        {
            "q_proj" or "k_proj" or "v_proj" => "qkv_proj",
            "gate_proj" or "up_proj" => "gate_up_proj",
            _ => t,
        } : t).ToHashSet();
        foreach (var layer in Decoder.Layers)
            foreach (var (name, p) in layer.Projections)
                if (names.Contains(name)) yield return p;
    }

    /// <summary>Attaches a fresh trainable adapter (B = 0, so it starts as the base model). Returns its parameters.</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> AddAdapter(string name, LoraConfig config, int seed = 0)
    {
        if (_adapters.ContainsKey(name)) throw new InvalidOperationException($"Adapter '{name}' is already loaded.");
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed, Device);
        var projections = TargetProjections(config.Targets).ToList();
        if (projections.Count == 0) throw new ArgumentException($"No projection matches target modules [{string.Join(", ", config.Targets)}].");
        foreach (var p in projections) p.AddAdapter(name, LoraWeights.Create(p.In, p.Out, config, Device, gen));
        _adapters[name] = config;
        return AdapterParameters(name);
    }

    /// <summary>Registers adapter weights already attached by <see cref="PeftFormat"/>.</summary>
    internal void RegisterAdapter(string name, LoraConfig config) => _adapters[name] = config;

    public IReadOnlyList<TorchSharp.Modules.Parameter> AdapterParameters(string name) =>
        Decoder.Layers.SelectMany(l => l.Projections.Values).Where(p => p.Adapters.ContainsKey(name))
            .SelectMany(p => new[] { p.Adapters[name].A, p.Adapters[name].B }).ToList();

    /// <summary>Loads a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) under `name`.</summary>
    public void LoadAdapter(string name, string peftFolder) => PeftFormat.Load(this, name, peftFolder);

    public void SaveAdapter(string name, string peftFolder) => PeftFormat.Save(this, name, peftFolder);

    public void UnloadAdapter(string name)
    {
        if (!_adapters.Remove(name)) throw new KeyNotFoundException($"No adapter '{name}' is loaded.");
        foreach (var p in Decoder.Layers.SelectMany(l => l.Projections.Values)) p.RemoveAdapter(name);
        if (ActiveAdapter == name) ActiveAdapter = null;
    }

    /// <summary>
    /// Writes this model to `folder` as an HF model in `dtype` (default: the compute dtype; NF4 weights dequantised),
    /// with `mergeAdapter`'s ΔW added to its projections (a full-precision merged copy), plus the tokenizer files.
    /// </summary>
    public void Save(string folder, ScalarType? dtype = null, string? mergeAdapter = null, long maxShardBytes = long.MaxValue)
    {
        if (mergeAdapter is not null && !_adapters.ContainsKey(mergeAdapter)) throw new KeyNotFoundException($"No adapter '{mergeAdapter}' is loaded.");
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var dt = dtype ?? DType;
        var tensors = new List<(string, Tensor)>();
        try
        {
            using (no_grad())
            {
                var deltas = mergeAdapter is null ? [] : Decoder.Layers.SelectMany(l => l.Projections.Values)
                    .Where(p => p.Adapters.ContainsKey(mergeAdapter)).ToDictionary(p => p.Name + ".weight", p => p.Adapters[mergeAdapter]);
                foreach (var (name, t) in Decoder.Export(dt))
                {
                    if (deltas.TryGetValue(name, out var lora))
                    {
                        using var delta = lora.DeltaWeight();
                        using var merged = t.to(ScalarType.Float32).Plus(delta.t()).to(dt);
                        t.Dispose();
                        tensors.Add((name, merged.cpu().contiguous()));
                    }
                    else { tensors.Add((name, t.cpu())); }
                }
            }
            SafeTensors.WriteModel(folder, tensors, maxShardBytes);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        var config = Config with { TorchDType = dt == ScalarType.BFloat16 ? "bfloat16" : dt == ScalarType.Float16 ? "float16" : "float32" };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json" })
        {
            var src = Path.Combine(Folder, f);
            if (File.Exists(src) && Path.GetFullPath(src) != Path.GetFullPath(Path.Combine(folder, f))) File.Copy(src, Path.Combine(folder, f), true);
        }
    }

    public void Dispose()
    {
        Decoder.Dispose();
        _adapters.Clear();
    }
}
