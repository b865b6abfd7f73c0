using Cortex1.Model.Loading;
using Cortex1.Model.Tiny;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>Tiny seeded model folders, written once per test run (each family) under a temp directory.</summary>
public static class TinyModels
{
    static readonly string Root = Path.Combine(Path.GetTempPath(), $"cortex1-model-tests-{Environment.ProcessId}");
    static readonly Dictionary<string, string> Folders = [];

    public static string Folder(string family)
    {
        lock (Folders)
        {
            if (!Folders.TryGetValue(family, out var f))
                Folders[family] = f = TinyModel.Create(Path.Combine(Root, family), family, seed: 1234);
            return f;
        }
    }

    public static string NewFolder(string name) => Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    public static LanguageModel Load(string family, Quantization q = Quantization.None, ScalarType dtype = ScalarType.Float32) =>
        LanguageModel.Load(Folder(family), new LoadOptions(q, dtype, "cpu"));

    public static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var m = 0f;
        for (var i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    /// <summary>Full-sequence logits [T, vocab] from the cache-free batch forward.</summary>
    public static float[][] FullLogits(LanguageModel model, int[] tokens, string? adapter = null)
    {
        using var _ = no_grad();
        using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);
        using var logits = model.Forward(ids, adapter: adapter).to(ScalarType.Float32);
        var v = (int)logits.shape[2];
        var flat = logits.data<float>().ToArray();
        return Enumerable.Range(0, tokens.Length).Select(i => flat.AsSpan(i * v, v).ToArray()).ToArray();
    }
}
