using System.Net;
using System.Net.Sockets;
using Cortex1.Inference.Engine;
using Cortex1.ServiceDefaults.CommandLine;
using Microsoft.AspNetCore.Connections;

namespace Cortex1.Inference.Serve;

/// <summary>
/// <c>serve --model … [--adapter NAME=PATH …] [--port 8000]</c>: the server alone, as <c>vllm serve</c> or llama.cpp's
/// server run. A bad option, a missing folder or a port in use is <see cref="ExitCodes.BadInput"/> before anything
/// loads; a model that fails to load ends it with <see cref="ExitCodes.Failed"/>; Ctrl+C stops it cleanly.
/// </summary>
public static class ServeCommand
{
    public const string Name = "serve";

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var (stdout, stderr) = (output ?? Console.Out, error ?? Console.Error);
        var rest = args is [Name, ..] ? args[1..] : args;
        if (rest is ["-h" or "--help" or "-?", ..])
        {
            await stdout.WriteAsync(ServeOptions.Usage);
            return ExitCodes.Ok;
        }
        ServeOptions options;
        try
        {
            options = ServeOptions.Parse(rest);
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            await stderr.WriteLineAsync("Run 'serve --help' for the options.");
            return ExitCodes.BadInput;
        }

        if (PortInUse(options))
        {
            await stderr.WriteLineAsync(InUse(options));
            return ExitCodes.BadInput;
        }
        await using var app = InferenceApp.Build(options);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            await stderr.WriteLineAsync(InUse(options));
            return ExitCodes.BadInput;
        }
        var url = app.Urls.FirstOrDefault() ?? options.Url;
        await stdout.WriteLineAsync($"Serving '{options.ModelId}'{string.Concat(options.Adapters.Keys.Select(a => $", adapter '{a}'"))} at {url}/v1 (loading the model...)");
        await stdout.WriteLineAsync($"Web page: {url}/   Stop with Ctrl+C.");

        var host = app.Services.GetRequiredService<ModelHost>();
        var stopped = app.WaitForShutdownAsync();
        var settled = await Task.WhenAny(host.Settled, stopped);
        if (settled == host.Settled)
        {
            if (!await host.Settled)
            {
                await stderr.WriteLineAsync($"error: the model did not load: {host.State}");
                await app.StopAsync();
                return ExitCodes.Failed;
            }
            await stdout.WriteLineAsync($"Ready: {url}/v1/models");
            await stopped;
        }
        return ExitCodes.Ok;
    }

    private static string InUse(ServeOptions options) =>
        $"error: {options.Url} is in use by another program; choose another --port (or stop that program).";

    /// <summary>
    /// Whether something already listens where the server would, checked before the model starts loading (Kestrel finds
    /// out only after the background services started). Names other than localhost are left to Kestrel.
    /// </summary>
    private static bool PortInUse(ServeOptions options)
    {
        if (options.Port == 0) return false;
        IPAddress[] addresses = IPAddress.TryParse(options.Host.Trim('[', ']'), out var ip) ? [ip]
            : options.Host == "localhost" ? [IPAddress.Loopback] : [];
        foreach (var address in addresses)
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // As Kestrel binds on Linux: a port held only by connections closing (TIME_WAIT) is free.
            probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                probe.Bind(new IPEndPoint(address, options.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return true;
            }
        }
        return false;
    }
}
