using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cortex1.Data.Storage;
using Cortex1.Inference.Serve;
using Cortex1.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Cortex1.Inference.Tests;

/// <summary>
/// The read-only reports API the web page reads: the folders of the <c>reports</c> container (blob storage, as the
/// Trainer publishes them) or of a local folder (<c>serve --reports</c>), each folder one report.
/// </summary>
public sealed class ReportsTests
{
    /// <summary>The first bytes of a PNG: the API must hand back exactly the bytes stored.</summary>
    private static byte[] Png(int seed) => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. Enumerable.Range(0, 64).Select(i => (byte)(i * seed))];

    private static async Task<List<JsonElement>> ListAsync(HttpClient http)
    {
        var body = await http.GetStringAsync("v1/reports");
        return JsonDocument.Parse(body).RootElement.GetProperty("data").EnumerateArray().ToList();
    }

    private static void AssertIsTheExpectedReports(List<JsonElement> reports, string trainingId, string evalId)
    {
        var training = reports.Single(r => r.GetProperty("id").GetString() == trainingId);
        Assert.Equal("training", training.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, training.GetProperty("markdown").ValueKind);
        Assert.Equal(["eval.png", "loss.png"], training.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()!));
        Assert.Equal(Png(3).Length, training.GetProperty("files")[1].GetProperty("size").GetInt64());

        var eval = reports.Single(r => r.GetProperty("id").GetString() == evalId);
        Assert.Equal("eval", eval.GetProperty("kind").GetString());
        Assert.Equal("report.md", eval.GetProperty("markdown").GetString());
        Assert.Equal(["calibration.png", "report.md"], eval.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()!));
    }

    private static async Task AssertFileAsync(HttpClient http, string path, byte[] expected, string contentType)
    {
        using var response = await http.GetAsync($"v1/reports/{path}");
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        Assert.Equal(contentType, response.Content.Headers.ContentType?.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Reports_in_blob_storage_are_listed_by_folder_and_their_files_served_byte_for_byte()
    {
        await using var server = await InferenceServer.StartAsync();
        var blobs = new BlobStore(new Azure.Storage.Blobs.BlobServiceClient(await AzuriteServer.GetConnectionStringAsync()));
        await blobs.EnsureContainersAsync();
        var run = $"blob-run-{Guid.NewGuid():N}";
        var evalId = Random.Shared.Next(1_000_000, int.MaxValue);
        var markdown = $"# Evaluation {evalId}\n\n![calibration](calibration.png)\n";
        await blobs.UploadAsync(BlobContainers.Reports, $"training/{run}/loss.png", new MemoryStream(Png(3)));
        await blobs.UploadAsync(BlobContainers.Reports, $"training/{run}/eval.png", new MemoryStream(Png(5)));
        await blobs.UploadTextAsync(BlobContainers.Reports, $"eval/{evalId}/report.md", markdown);
        await blobs.UploadAsync(BlobContainers.Reports, $"eval/{evalId}/calibration.png", new MemoryStream(Png(7)));

        AssertIsTheExpectedReports(await ListAsync(server.Http), $"training/{run}", $"eval/{evalId}");
        await AssertFileAsync(server.Http, $"training/{run}/loss.png", Png(3), "image/png");
        await AssertFileAsync(server.Http, $"eval/{evalId}/report.md", Encoding.UTF8.GetBytes(markdown), "text/markdown; charset=utf-8");
        // The page the reports are for is served in this (the AppHost's) mode too, with its scripts.
        foreach (var (file, type) in new[] { ("/", "text/html"), ("/app.js", "text/javascript"), ("/markdown.js", "text/javascript"), ("/app.css", "text/css") })
        {
            using var page = await server.Http.GetAsync(file);
            Assert.True(page.IsSuccessStatusCode, file);
            Assert.Equal(type, page.Content.Headers.ContentType?.MediaType);
        }
        using var missing = await server.Http.GetAsync($"v1/reports/eval/{evalId}/nope.png");
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal("report_not_found", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Serve_reads_reports_from_a_folder_and_nothing_outside_it()
    {
        var root = TestRun.Folder($"reports-{Guid.NewGuid():N}");
        var reports = Directory.CreateDirectory(Path.Combine(root, "reports")).FullName;
        Directory.CreateDirectory(Path.Combine(reports, "training", "run-a"));
        Directory.CreateDirectory(Path.Combine(reports, "eval", "12"));
        File.WriteAllBytes(Path.Combine(reports, "training", "run-a", "loss.png"), Png(3));
        File.WriteAllBytes(Path.Combine(reports, "training", "run-a", "eval.png"), Png(5));
        File.WriteAllText(Path.Combine(reports, "eval", "12", "report.md"), "# Evaluation 12\n");
        File.WriteAllBytes(Path.Combine(reports, "eval", "12", "calibration.png"), Png(7));
        File.WriteAllText(Path.Combine(reports, "eval", "12", "page.html"), "<script>alert(1)</script>");
        File.WriteAllText(Path.Combine(root, "secret.txt"), "outside the reports folder");
        File.CreateSymbolicLink(Path.Combine(reports, "eval", "12", "linked.txt"), Path.Combine(root, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(reports, "eval", "13"), root);

        await using var server = await InferenceServer.StartAsync(ServeOptions.Parse(["--model", "tiny", "--reports", reports]));
        var listed = await ListAsync(server.Http);
        var eval = listed.Single(r => r.GetProperty("id").GetString() == "eval/12");
        Assert.Equal(["calibration.png", "page.html", "report.md"], eval.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()!));
        Assert.DoesNotContain(listed, r => r.GetProperty("id").GetString() == "eval/13");   // a linked folder is not walked
        Assert.Equal(2, listed.Count);

        await AssertFileAsync(server.Http, "training/run-a/loss.png", Png(3), "image/png");
        await AssertFileAsync(server.Http, "eval/12/report.md", Encoding.UTF8.GetBytes("# Evaluation 12\n"), "text/markdown; charset=utf-8");
        // HTML is never served as a page of this origin.
        await AssertFileAsync(server.Http, "eval/12/page.html", Encoding.UTF8.GetBytes("<script>alert(1)</script>"), "application/octet-stream");
        foreach (var path in new[] { "eval/12/linked.txt", "eval/13/secret.txt", "eval/12/%2e%2e/%2e%2e/%2e%2e/secret.txt", "eval/12/..%2F..%2F..%2Fsecret.txt", "%2Fetc%2Fpasswd" })
        {
            using var refused = await server.Http.GetAsync($"v1/reports/{path}");
            Assert.True(404 == (int)refused.StatusCode, $"{path}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task Serve_without_a_reports_folder_lists_none_and_the_api_key_guards_reports_like_the_models()
    {
        await using var server = await InferenceServer.StartAsync(ServeOptions.Parse(["--model", "tiny"]),
            new Dictionary<string, string?> { ["Inference:ApiKey"] = "reports-key-51" });
        Assert.Empty(await ListAsync(server.Http));
        Assert.IsType<Reports.NoReports>(server.App.Services.GetRequiredService<Reports.ReportStore>());

        using var anonymous = new HttpClient { BaseAddress = server.BaseUrl };
        using var refused = await anonymous.GetAsync("v1/reports");
        Assert.Equal(401, (int)refused.StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "reports-key-51");
        using var allowed = await anonymous.GetAsync("v1/reports");
        Assert.Equal(200, (int)allowed.StatusCode);
        // The page itself stays open: it is what asks for the key.
        using var browser = new HttpClient { BaseAddress = server.BaseUrl };
        using var page = await browser.GetAsync("/");
        Assert.Equal(200, (int)page.StatusCode);
    }
}
