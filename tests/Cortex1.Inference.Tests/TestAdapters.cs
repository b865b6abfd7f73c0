using Cortex1.Model;
using Cortex1.Model.Lora;
using TorchSharp;

namespace Cortex1.Inference.Tests;

public static class TestAdapters
{
    /// <summary>Writes a PEFT adapter for the model in <paramref name="modelFolder"/> whose weights are random (not the B = 0
    /// start), so it changes answers.</summary>
    public static string Create(string modelFolder, string folder, int seed)
    {
        using var model = LanguageModel.Load(modelFolder);
        var parameters = model.AddAdapter("a", new LoraConfig(Rank: 4, Alpha: 8), seed);
        using (torch.no_grad())
        {
            torch.manual_seed(seed);
            foreach (var p in parameters) p.normal_(0, 0.5);
        }
        model.SaveAdapter("a", folder);
        return folder;
    }
}
