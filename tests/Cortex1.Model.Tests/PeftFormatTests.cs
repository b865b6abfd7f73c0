using System.Text.Json.Nodes;
using Cortex1.Model.Config;
using Cortex1.Model.Loading;
using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>
/// adapter_config.json as PEFT and vLLM read it: PEFT's default alpha, rsLoRA and the per-module patterns mean what
/// PEFT means by them (checked against the same adapter with its B matrices rescaled by hand), they survive a save,
/// and the base model is named by its hub id.
/// </summary>
public sealed class PeftFormatTests
{
    static readonly int[] Tokens = [5, 17, 42, 99, 256, 300, 7, 8];

    [Fact]
    public void AMissingLoraAlphaIsPeftsDefaultOfEight()
    {
        var c = PeftAdapterConfig.Parse(new JsonObject { ["peft_type"] = "LORA", ["r"] = 4 }).Lora;
        Assert.Equal(8, c.Alpha);
        Assert.Equal(2, c.ScaleFor("model.layers.0.self_attn.q_proj"));
    }

    [Fact]
    public void PatternsMatchModuleNameEndingsAsPeftDoes()
    {
        var c = new LoraConfig(4, 8, 0, UseRsLora: true,
            AlphaPattern: new Dictionary<string, double> { ["q_proj"] = 16 }, RankPattern: new Dictionary<string, int> { ["layers.1.mlp.down_proj"] = 2 });
        Assert.Equal(16 / 2.0, c.ScaleFor("model.layers.0.self_attn.q_proj"));        // alpha 16 / √4
        Assert.Equal(8 / 2.0, c.ScaleFor("model.layers.0.self_attn.qkv_proj"));       // "q_proj" is not the end of "qkv_proj"
        Assert.Equal(8 / Math.Sqrt(2), c.ScaleFor("model.layers.1.mlp.down_proj"));
        Assert.Equal(8 / 2.0, c.ScaleFor("model.layers.11.mlp.down_proj"));          // "layers.1." ≠ "layers.11."
        var back = PeftAdapterConfig.Parse(JsonNode.Parse(new PeftAdapterConfig(c, "microsoft/phi-4").ToJson(["q_proj"]))!.AsObject());
        Assert.Equal("microsoft/phi-4", back.BaseModel);
        Assert.True(back.Lora.UseRsLora);
        Assert.Equal(c.AlphaPattern, back.Lora.AlphaPattern);
        Assert.Equal(c.RankPattern, back.Lora.RankPattern);
    }

    [Fact]
    public void RsLoraAndAlphaPatternScaleTheAdapterAsRescalingBByHand()
    {
        using var model = TinyModels.Load("llama");
        var ps = model.AddAdapter("a", new LoraConfig(4, 8, 0), seed: 5);
        using (no_grad())
            foreach (var p in ps)
                using (var r = randn(p.shape)) p.copy_(r.TimesInPlace(0.05));
        var plain = TinyModels.NewFolder("peft-plain");
        model.SaveAdapter("a", plain);
        var q0 = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";

        // rsLoRA with r = 4: scale 8/√4 = 4, twice 8/4 — the same as every B doubled.
        var rs = Variant(plain, "rs", cfg => cfg["use_rslora"] = true, (_, t) => t);
        var doubled = Variant(plain, "doubled", _ => { }, (n, t) => n.EndsWith(".lora_B.weight") ? t.Times(2) : t);
        // alpha_pattern for one module: only that module's B effectively doubles.
        var pattern = Variant(plain, "pattern", cfg => cfg["alpha_pattern"] = new JsonObject { ["model.layers.0.self_attn.q_proj"] = 16 }, (_, t) => t);
        var oneDoubled = Variant(plain, "one", _ => { }, (n, t) => n == q0 ? t.Times(2) : t);

        var logits = new Dictionary<string, float[]>();
        foreach (var (name, dir) in new[] { ("plain", plain), ("rs", rs), ("doubled", doubled), ("pattern", pattern), ("one", oneDoubled) })
        {
            using var fresh = TinyModels.Load("llama");
            fresh.LoadAdapter(name, dir);
            logits[name] = TinyModels.FullLogits(fresh, Tokens, name)[^1];
        }
        Assert.True(TinyModels.MaxAbsDiff(logits["plain"], logits["rs"]) > 1e-2, "rsLoRA should change the scale");
        Assert.True(TinyModels.MaxAbsDiff(logits["rs"], logits["doubled"]) < 1e-5);
        Assert.True(TinyModels.MaxAbsDiff(logits["plain"], logits["pattern"]) > 1e-3, "alpha_pattern should change the scale");
        Assert.True(TinyModels.MaxAbsDiff(logits["pattern"], logits["one"]) < 1e-5);

        // A loaded rsLoRA adapter saves as rsLoRA again.
        using var again = TinyModels.Load("llama");
        again.LoadAdapter("rs", rs);
        var saved = TinyModels.NewFolder("peft-resaved");
        again.SaveAdapter("rs", saved);
        Assert.True(PeftAdapterConfig.Read(saved).Lora.UseRsLora);
    }

    [Fact]
    public void TheSavedAdapterNamesItsBaseByHubId()
    {
        var folder = TinyModels.NewFolder("hub-base");
        CopyFolder(TinyModels.Folder("qwen2"), folder);
        Assert.Equal(Path.GetFileName(folder), SavedBase(folder));           // nothing known: the folder's name

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["_name_or_path"] = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B";
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        Assert.Equal("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", SavedBase(folder));

        new ModelOrigin("microsoft/phi-4", "main", "abc123").Write(folder);   // what `models pull` records wins
        Assert.Equal("microsoft/phi-4", SavedBase(folder));
    }

    static string? SavedBase(string modelFolder)
    {
        using var model = LanguageModel.Load(modelFolder, new LoadOptions(Quantization.None, ScalarType.Float32, "cpu"));
        model.AddAdapter("a", new LoraConfig(2, 4, 0));
        var dir = TinyModels.NewFolder("peft-base");
        model.SaveAdapter("a", dir);
        return JsonNode.Parse(File.ReadAllText(Path.Combine(dir, PeftFormat.ConfigFile)))!["base_model_name_or_path"]?.GetValue<string>();
    }

    /// <summary>A copy of an adapter folder with its config edited and its tensors mapped.</summary>
    static string Variant(string source, string name, Action<JsonObject> editConfig, Func<string, Tensor, Tensor> map)
    {
        var dir = TinyModels.NewFolder("peft-" + name);
        Directory.CreateDirectory(dir);
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(source, PeftFormat.ConfigFile)))!.AsObject();
        editConfig(cfg);
        File.WriteAllText(Path.Combine(dir, PeftFormat.ConfigFile), cfg.ToJsonString());
        using var file = new SafeTensorsFile(Path.Combine(source, PeftFormat.WeightsFile));
        var tensors = file.Tensors.Keys.Select(n => (n, map(n, file.Read(n)))).ToList();
        SafeTensors.Write(Path.Combine(dir, PeftFormat.WeightsFile), tensors);
        foreach (var (_, t) in tensors) t.Dispose();
        return dir;
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
