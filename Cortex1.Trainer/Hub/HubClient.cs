using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Cortex1.Trainer.Hub;

/// <summary>A file of a hub repo at one commit, with what the hub says it must be: its size, and the sha256 of an LFS
/// file (its LFS pointer's oid) or the git blob id (sha1 of "blob {size}\0" + bytes) of a file kept in git.</summary>
public sealed record HubFile(string Path, long? Size, string? Sha256, string? GitBlobId);

/// <summary>What went wrong talking to the hub, in words that name the fix.</summary>
public sealed class HubException(string message) : Exception(message);

/// <summary>
/// The Hugging Face hub's file protocol: <c>GET /api/models/{repo}/revision/{rev}?blobs=true</c> for the commit and its
/// files (<c>siblings</c>: <c>rfilename</c>, <c>size</c>, <c>blobId</c>, <c>lfs.sha256</c>), and
/// <c>GET /{repo}/resolve/{commit}/{file}</c>, which serves a small file itself and answers an LFS file with a 302 to
/// its storage (carrying <c>X-Linked-Size</c> and <c>X-Linked-Etag</c>, the sha256). Redirects are followed here so
/// the token goes only to the hub's own host, never to the storage a redirect names; downloads resume with HTTP range
/// requests from what a previous attempt left, and every file is checked against the hub's size and hash.
/// </summary>
public sealed class HubClient(HttpClient http, Uri endpoint, string? token)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>HF_ENDPOINT, else the public hub.</summary>
    public static Uri EndpointFromEnvironment() =>
        new((Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e : DefaultEndpoint).TrimEnd('/') + "/");

    /// <summary>HF_TOKEN, else HUGGINGFACE_TOKEN (the seed's name); null when neither is set (public repos need none).</summary>
    public static string? TokenFromEnvironment() =>
        new[] { "HF_TOKEN", "HUGGINGFACE_TOKEN" }.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    /// <summary>The commit a revision names and the repo's files there.</summary>
    public async Task<(string Commit, IReadOnlyList<HubFile> Files)> ListAsync(string repo, string revision, CancellationToken ct)
    {
        using var response = await SendAsync(new Uri(endpoint, $"api/models/{repo}/revision/{Uri.EscapeDataString(revision)}?blobs=true"), null, repo, revision, ct);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsObject();
        var commit = json["sha"]?.GetValue<string>() ?? throw new HubException($"The hub's answer for {repo}@{revision} has no commit sha.");
        var files = (json["siblings"]?.AsArray() ?? []).Select(s => new HubFile(
            s!["rfilename"]!.GetValue<string>(),
            s["lfs"]?["size"]?.GetValue<long>() ?? s["size"]?.GetValue<long>(),
            s["lfs"]?["sha256"]?.GetValue<string>(),
            s["lfs"] is null ? s["blobId"]?.GetValue<string>() : null)).ToList();
        return (commit, files);
    }

    /// <summary>
    /// Downloads <paramref name="file"/> at <paramref name="commit"/> into <paramref name="path"/>, resuming from
    /// <c>{path}.partial</c> when an earlier attempt left one, then verifies it and moves it into place.
    /// </summary>
    public async Task DownloadAsync(string repo, string commit, HubFile file, string path, IProgress<(long Done, long? Total)>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var partial = path + ".partial";
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        var url = new Uri(endpoint, $"{repo}/resolve/{commit}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}");
        var expectedSize = file.Size;
        var expectedSha = file.Sha256;
        if (expectedSize is { } whole && have >= whole) have = whole;   // all there: the range request below is skipped
        if (expectedSize is not { } size || have < size)
        {
            using var response = await SendAsync(url, have > 0 ? have : null, repo, commit, ct, (hubHeaders) =>
            {
                // The hub's own answer (before any redirect) names an LFS file's size and sha256.
                if (expectedSize is null && hubHeaders.TryGetValues("X-Linked-Size", out var ls) && long.TryParse(ls.First(), out var s)) expectedSize = s;
                if (expectedSha is null && hubHeaders.TryGetValues("X-Linked-Etag", out var le)) expectedSha = le.First().Trim('"');
            });
            var append = response.StatusCode == HttpStatusCode.PartialContent;
            if (have > 0 && append && response.Content.Headers.ContentRange?.From != have)
                throw new HubException($"{file.Path}: the server resumed at byte {response.Content.Headers.ContentRange?.From}, not {have}.");
            if (!append) have = 0;   // 200: the server sent the whole file
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await using var output = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            var buffer = new byte[1 << 20];
            var lastReport = DateTime.MinValue;
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, n), ct);
                have += n;
                if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(1)) { progress?.Report((have, expectedSize)); lastReport = DateTime.UtcNow; }
            }
        }
        progress?.Report((have, expectedSize));
        await VerifyAsync(file.Path, partial, expectedSize, expectedSha, file.GitBlobId, ct);
        File.Move(partial, path, overwrite: true);
    }

    static async Task VerifyAsync(string name, string path, long? size, string? sha256, string? gitBlob, CancellationToken ct)
    {
        var actual = new FileInfo(path).Length;
        if (size is { } s && actual != s)
        {
            // A longer file cannot be resumed into the right one: start it again next time.
            if (actual > s) File.Delete(path);
            throw new HubException($"{name}: got {actual} bytes, the hub says {s}.");
        }
        if (sha256 is not null)
        {
            await using var f = File.OpenRead(path);
            var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(f, ct));
            if (!string.Equals(hash, sha256, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(path);
                throw new HubException($"{name}: sha256 {hash} does not match the hub's {sha256}; the partial file was removed, run the command again.");
            }
        }
        else if (gitBlob is not null)
        {
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            sha1.AppendData(Encoding.ASCII.GetBytes($"blob {actual}\0"));
            sha1.AppendData(await File.ReadAllBytesAsync(path, ct));
            var hash = Convert.ToHexStringLower(sha1.GetHashAndReset());
            if (!string.Equals(hash, gitBlob, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(path);
                throw new HubException($"{name}: git blob id {hash} does not match the hub's {gitBlob}; run the command again.");
            }
        }
    }

    /// <summary>GET with redirects followed by hand (the token only to the hub's host; the Range header to every hop),
    /// and the hub's error statuses turned into messages.</summary>
    async Task<HttpResponseMessage> SendAsync(Uri url, long? from, string repo, string revision, CancellationToken ct, Action<HttpResponseHeaders>? hubHeaders = null)
    {
        for (var hop = 0; hop < 10; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (token is not null && url.Host == endpoint.Host && url.Port == endpoint.Port)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (from is { } f) request.Headers.Range = new RangeHeaderValue(f, null);
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (url.Host == endpoint.Host && url.Port == endpoint.Port) hubHeaders?.Invoke(response.Headers);
            if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                response.Dispose();
                continue;
            }
            if (response.IsSuccessStatusCode) return response;
            var status = (int)response.StatusCode;
            response.Dispose();
            throw status switch
            {
                401 or 403 => new HubException(token is null
                    ? $"{repo} is gated or private (HTTP {status}): accept its terms at {new Uri(endpoint, repo)} and set HF_TOKEN (or HUGGINGFACE_TOKEN) to a token with read access."
                    : $"{repo} refused the token (HTTP {status}): the repo is gated and its terms not yet accepted for this account, or the token lacks read access."),
                404 => new HubException(url.AbsolutePath.Contains("/resolve/")
                    ? $"{url.AbsolutePath}: no such file in {repo} at {revision} (HTTP 404)."
                    : $"{repo} at revision '{revision}' was not found on {endpoint} (HTTP 404): check the repo id and revision."),
                416 => new HubException($"{url.AbsolutePath}: the server refused the resume range (HTTP 416)."),
                _ => new HubException($"{url}: HTTP {status} from the hub."),
            };
        }
        throw new HubException($"{url}: too many redirects.");
    }
}
