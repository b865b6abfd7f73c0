using Cortex1.Model;
using Cortex1.Model.Baby;
using Cortex1.Model.Export;
using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using static TorchSharp.torch;

namespace Cortex1.Export.Tests;

/// <summary>Tiny seeded models and their exports, under one temp folder per test run.</summary>
public static class Exports
{
    static readonly string Root = Path.Combine(Path.GetTempPath(), $"cortex1-export-tests-{Environment.ProcessId}");
    static readonly Dictionary<string, string> Models = [];

    /// <summary>The model of a family: a seeded random tiny one (phi3, qwen2, llama), or "baby", the pretrained baby model
    /// this build carries (a llama with its own BPE tokenizer).</summary>
    public static string Tiny(string family)
    {
        lock (Models)
        {
            if (!Models.TryGetValue(family, out var f))
                Models[family] = f = family == Baby ? EmbeddedBaby.Folder(Root) : TinyModel.Create(Path.Combine(Root, family), family, seed: 4321);
            return f;
        }
    }

    public const string Baby = "baby";

    /// <summary>The GGUF architecture of a family's export.</summary>
    public static string Architecture(string family) => family == Baby ? "llama" : family;

    public static string NewFolder(string name) => Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    public static string Gguf(string model, string type, string? adapter = null)
    {
        var written = ModelExport.Run(new ExportRequest(model, adapter, "gguf", type, Path.Combine(NewFolder("gguf"), "model.gguf")));
        return written[0];
    }

    public static LanguageModel Load(string folder) => LanguageModel.Load(folder, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu"));

    /// <summary>Full-sequence logits [T][vocab] from the engine's cache-free forward.</summary>
    public static float[][] EngineLogits(LanguageModel model, int[] tokens, string? adapter = null)
    {
        using var _ = no_grad();
        using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);
        using var logits = model.Forward(ids, adapter: adapter).to(ScalarType.Float32);
        var v = (int)logits.shape[2];
        var flat = logits.data<float>().ToArray();
        return Enumerable.Range(0, tokens.Length).Select(i => flat.AsSpan(i * v, v).ToArray()).ToArray();
    }

    /// <summary>max |a − b| over every position and vocabulary entry.</summary>
    public static float MaxAbsDiff(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        var m = 0f;
        for (var t = 0; t < a.Length; t++)
        {
            Assert.Equal(a[t].Length, b[t].Length);
            for (var i = 0; i < a[t].Length; i++) m = Math.Max(m, Math.Abs(a[t][i] - b[t][i]));
        }
        return m;
    }

    /// <summary>A copy of `model` whose weights are what a GGUF of `type` holds, read back to fp32: the weights
    /// llama.cpp computes with, so the engine on this copy isolates llama.cpp's arithmetic from the rounding of the weights.</summary>
    public static string Dequantised(string model, GgufType type)
    {
        var folder = NewFolder($"dequant-{type}");
        Directory.CreateDirectory(folder);
        using var ck = new HfCheckpoint(model);
        var tensors = new List<(string, Tensor)>();
        try
        {
            foreach (var name in ck.Names)
            {
                using var t = ck.Read(name);
                var stored = GgufExport.TypeFor(GgufTensorNames.Map(name)!, t.shape, type);
                if (stored == GgufType.F32) { tensors.Add((name, t.clone())); continue; }
                var values = t.data<float>().ToArray();
                var back = GgufQuant.Decode(stored, GgufQuant.Encode(stored, values), values.Length);
                tensors.Add((name, tensor(back, t.shape)));
            }
            SafeTensors.WriteModel(folder, tensors);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        foreach (var f in Directory.GetFiles(model).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        return folder;
    }
}
