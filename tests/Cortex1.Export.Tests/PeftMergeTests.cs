using System.Text.Json.Nodes;
using Cortex1.Model.Export;
using Cortex1.Model.Lora;
using Cortex1.Model.Modeling;
using Cortex1.Model.Tokenization;
using static TorchSharp.torch;

namespace Cortex1.Export.Tests;

/// <summary>
/// An adapter_config.json as another tool writes it — no lora_alpha (PEFT's default, 8), use_rslora, an alpha_pattern
/// for one module — survives a load and a save as PEFT reads it, and an export merges it with those scales: the merged
/// folder computes what the engine computes with the adapter on (whose scales PeftFormatTests checks by hand).
/// </summary>
public sealed class PeftMergeTests
{
    [Fact]
    public void A_config_without_lora_alpha_with_rslora_and_an_alpha_pattern_round_trips_and_merges_with_its_scales()
    {
        var folder = Exports.Tiny("llama");
        var plain = Exports.NewFolder("peft-plain");
        using (var model = Exports.Load(folder))
        {
            model.AddAdapter("a", new LoraConfig(4, 16, 0), seed: 11);
            using (no_grad())
                foreach (var p in model.AdapterParameters("a"))
                    using (var r = randn(p.shape)) p.copy_(r.TimesInPlace(0.1));
            model.SaveAdapter("a", plain);
        }
        var edited = Exports.NewFolder("peft-edited");
        Directory.CreateDirectory(edited);
        File.Copy(Path.Combine(plain, PeftFormat.WeightsFile), Path.Combine(edited, PeftFormat.WeightsFile));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(plain, PeftFormat.ConfigFile)))!.AsObject();
        cfg.Remove("lora_alpha");
        cfg["use_rslora"] = true;
        cfg["alpha_pattern"] = new JsonObject { ["q_proj"] = 32 };
        File.WriteAllText(Path.Combine(edited, PeftFormat.ConfigFile), cfg.ToJsonString());

        // Read as PEFT reads it: alpha 8 by default, rsLoRA (8/√4 = 4), q_proj's alpha 32 (32/√4 = 16).
        var read = PeftAdapterConfig.Read(edited).Lora;
        Assert.Equal((8.0, true), (read.Alpha, read.UseRsLora));
        Assert.Equal(4.0, read.ScaleFor("model.layers.0.mlp.down_proj"));
        Assert.Equal(16.0, read.ScaleFor("model.layers.1.self_attn.q_proj"));

        var tokens = TextTokenizer.Load(folder).Encode("BTC 43,250 (+2.1%) vs ETH $2,310");
        float[][] expected, withPlain;
        using (var model = Exports.Load(folder))
        {
            model.LoadAdapter("e", edited);
            model.LoadAdapter("p", plain);
            expected = Exports.EngineLogits(model, tokens, "e");
            withPlain = Exports.EngineLogits(model, tokens, "p");

            // Saved again, it says the same to PEFT: lora_alpha written out as 8, rsLoRA and the pattern kept.
            var resaved = Exports.NewFolder("peft-resaved");
            model.SaveAdapter("e", resaved);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(resaved, PeftFormat.ConfigFile)))!;
            Assert.Equal(8.0, json["lora_alpha"]!.GetValue<double>());
            Assert.True(json["use_rslora"]!.GetValue<bool>());
            Assert.Equal(32.0, json["alpha_pattern"]!["q_proj"]!.GetValue<double>());
        }
        Assert.True(Exports.MaxAbsDiff(expected, withPlain) > 1e-3, "the edited scales should change the logits");

        var output = Exports.NewFolder("peft-merged");
        ModelExport.Run(new ExportRequest(folder, edited, "hf", "f32", output));
        using var merged = Exports.Load(output);
        var diff = Exports.MaxAbsDiff(expected, Exports.EngineLogits(merged, tokens));
        Assert.True(diff <= 1e-4, $"merged vs engine with the adapter: {diff}");
    }
}
