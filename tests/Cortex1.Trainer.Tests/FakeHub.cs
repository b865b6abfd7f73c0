using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cortex1.Trainer.Tests;

/// <summary>
/// A stand-in for huggingface.co on 127.0.0.1 that speaks its file protocol: the revision API with siblings
/// (size, blobId; lfs.sha256/size for LFS files), and resolve/{rev}/{file}, which serves a git file itself (ETag = blob
/// id) and answers an LFS file with a 302 (X-Linked-Size, X-Linked-Etag) to a storage host on another port that serves
/// byte ranges (206, Content-Range). Gated repos need the bearer token. It records what each host was sent.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    public sealed record Repo(Dictionary<string, byte[]> Files, HashSet<string> Lfs, string? Token = null);

    readonly WebApplication _app;
    public ConcurrentDictionary<string, Repo> Repos { get; } = new();
    public ConcurrentQueue<(string Path, string? Range, bool Authorized)> StorageRequests { get; } = new();
    /// <summary>LFS files whose next storage download stops after this many bytes (the connection is cut).</summary>
    public ConcurrentDictionary<string, int> CutAfter { get; } = new();
    /// <summary>LFS files the storage serves with a flipped byte.</summary>
    public ConcurrentDictionary<string, bool> Corrupt { get; } = new();
    public string Commit { get; } = "0123456789abcdef0123456789abcdef01234567";
    public Uri Endpoint { get; private set; } = null!;
    Uri _storage = null!;

    public FakeHub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0", "http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    public async Task StartAsync()
    {
        await _app.StartAsync();
        var urls = _app.Urls.Select(u => new Uri(u)).ToList();
        Endpoint = new Uri(urls[0], "/");
        _storage = new Uri(urls[1], "/");
    }

    public static string Sha256(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));
    static string GitBlobId(byte[] b) => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {b.Length}\0"), .. b]));

    async Task HandleAsync(HttpContext ctx)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Path.Value!.TrimStart('/'));
        if (ctx.Request.Host.Port == _storage.Port) { await StorageAsync(ctx, path); return; }
        if (path.StartsWith("api/models/", StringComparison.Ordinal))
        {
            var parts = path["api/models/".Length..].Split('/');   // owner/name/revision/rev
            if (!Authorize(ctx, parts[0] + "/" + parts[1], out var repo)) return;
            var siblings = new JsonArray(repo.Files.Select(kv => (JsonNode)new JsonObject
            {
                ["rfilename"] = kv.Key,
                ["size"] = kv.Value.Length,
                ["blobId"] = GitBlobId(repo.Lfs.Contains(kv.Key) ? Encoding.ASCII.GetBytes("pointer") : kv.Value),
                ["lfs"] = repo.Lfs.Contains(kv.Key) ? new JsonObject { ["sha256"] = Sha256(kv.Value), ["size"] = kv.Value.Length, ["pointerSize"] = 134 } : null,
            }).ToArray());
            await ctx.Response.WriteAsJsonAsync(new JsonObject { ["id"] = parts[0] + "/" + parts[1], ["sha"] = Commit, ["siblings"] = siblings });
            return;
        }
        var m = System.Text.RegularExpressions.Regex.Match(path, "^([^/]+/[^/]+)/resolve/([^/]+)/(.+)$");
        if (!m.Success) { ctx.Response.StatusCode = 404; return; }
        if (!Authorize(ctx, m.Groups[1].Value, out var r)) return;
        var file = m.Groups[3].Value;
        if (!r.Files.TryGetValue(file, out var bytes) || m.Groups[2].Value != Commit) { ctx.Response.StatusCode = 404; ctx.Response.Headers["X-Error-Code"] = "EntryNotFound"; return; }
        if (r.Lfs.Contains(file))
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers["X-Linked-Size"] = bytes.Length.ToString();
            ctx.Response.Headers["X-Linked-Etag"] = $"\"{Sha256(bytes)}\"";
            ctx.Response.Headers.Location = new Uri(_storage, $"{m.Groups[1].Value}/{file}").ToString();
            return;
        }
        ctx.Response.Headers.ETag = $"\"{GitBlobId(bytes)}\"";
        await ctx.Response.Body.WriteAsync(bytes);
    }

    bool Authorize(HttpContext ctx, string name, out Repo repo)
    {
        if (!Repos.TryGetValue(name, out repo!)) { ctx.Response.StatusCode = 404; return false; }
        if (repo.Token is null) return true;
        var auth = ctx.Request.Headers.Authorization.ToString();
        ctx.Response.StatusCode = auth == "" ? 401 : auth == $"Bearer {repo.Token}" ? 200 : 403;
        return ctx.Response.StatusCode == 200;
    }

    async Task StorageAsync(HttpContext ctx, string path)
    {
        var range = ctx.Request.Headers.Range.ToString();
        StorageRequests.Enqueue((path, range == "" ? null : range, ctx.Request.Headers.ContainsKey("Authorization")));
        var slash = path.IndexOf('/', path.IndexOf('/') + 1);
        var bytes = Repos[path[..slash]].Files[path[(slash + 1)..]].ToArray();
        if (Corrupt.ContainsKey(path)) bytes[^1] ^= 0xFF;
        long from = 0;
        if (range.StartsWith("bytes=", StringComparison.Ordinal)) from = long.Parse(range["bytes=".Length..].TrimEnd('-'));
        if (from > 0)
        {
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers.ContentRange = $"bytes {from}-{bytes.Length - 1}/{bytes.Length}";
        }
        ctx.Response.ContentLength = bytes.Length - from;
        if (CutAfter.TryRemove(path, out var cut))
        {
            await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)from, cut));
            await ctx.Response.Body.FlushAsync();
            // Give the client time to read what was sent: a reset on the wire can discard data not yet read.
            await Task.Delay(500);
            ctx.Abort();
            return;
        }
        await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)from));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
