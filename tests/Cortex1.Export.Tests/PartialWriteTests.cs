using Cortex1.Model.Export;

namespace Cortex1.Export.Tests;

/// <summary>
/// A stopped export leaves nothing half-written where the finished file would be: the GGUF is written under
/// {name}.partial and renamed when complete, the hf folder's files are staged in {folder}.partial; a cancelled or
/// failed write deletes them, and a finished file already at the target is left as it was.
/// </summary>
public sealed class PartialWriteTests
{
    [Fact]
    public void A_cancelled_gguf_export_leaves_no_partial_file_and_keeps_a_finished_one()
    {
        var model = Exports.Tiny("llama");
        var folder = Exports.NewFolder("partial-gguf");
        var target = Path.Combine(folder, "model.gguf");
        var request = new ExportRequest(model, null, "gguf", "f32", target);
        using var cts = new CancellationTokenSource();
        var seen = new List<(int, int)>();
        // Cancelled after the third tensor: the writer stops before the fourth (Ctrl+C in the command, a job's token).
        Assert.ThrowsAny<OperationCanceledException>(() => ModelExport.Run(request, null, cts.Token, (done, total) =>
        {
            seen.Add((done, total));
            if (done == 3) cts.Cancel();
        }));
        Assert.Equal(3, seen.Count);
        Assert.True(seen[0].Item2 > 3, "the tiny model has more than three tensors");
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(GgufWriter.PartialName(target)));
        Assert.Empty(Directory.GetFiles(folder));

        // A finished export, then one stopped by its progress callback (a cancelled job's refused heartbeat): the finished file stays whole.
        var written = ModelExport.Run(request);
        var finished = File.ReadAllBytes(target);
        Assert.Equal([target, Path.Combine(folder, "Modelfile")], written);
        Assert.Throws<OperationCanceledException>(() => ModelExport.Run(request with { Type = "q8_0" }, null, default,
            (done, _) => { if (done == 2) throw new OperationCanceledException("job canceled"); }));
        Assert.Equal(finished, File.ReadAllBytes(target));
        Assert.False(File.Exists(GgufWriter.PartialName(target)));
    }

    [Fact]
    public void A_failed_hf_export_leaves_no_folder_and_no_staging()
    {
        var model = Exports.Tiny("qwen2");
        var output = Exports.NewFolder("partial-hf");
        Assert.Throws<OperationCanceledException>(() => ModelExport.Run(new ExportRequest(model, null, "hf", "f32", output), null, default,
            (_, _) => throw new OperationCanceledException("job canceled")));
        Assert.False(Directory.Exists(output));
        Assert.False(Directory.Exists(output + ".partial"));

        ModelExport.Run(new ExportRequest(model, null, "hf", "f32", output));
        Assert.True(File.Exists(Path.Combine(output, "config.json")));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")) || Directory.GetFiles(output, "*.safetensors").Length > 0);
        Assert.False(Directory.Exists(output + ".partial"));
    }
}
