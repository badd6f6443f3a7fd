using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>With the standard OTEL_EXPORTER_OTLP_ENDPOINT set, the CLI sends its spans and metrics over OTLP/HTTP.</summary>
public sealed class Exporting_telemetry : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public async Task A_sweep_run_exports_its_sweep_trial_and_epoch_spans_and_its_metrics_to_the_configured_collector()
    {
        var port = FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new List<(string Path, byte[] Body)>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try { context = await collector.GetContextAsync(); }
                catch (Exception) { return; }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (received) received.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var file = _cli.WriteFile("one.yaml", """
            name: exported
            dataset: synthetic
            epochs: 1
            grid:
              arch: [ffnn-100]
            """);
        var run = _cli.RunWith(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }, "sweep", "run", file, "--slots", "1");
        Assert.True(run.ExitCode == 0, run.All);
        collector.Stop();
        await receiving;

        List<(string Path, byte[] Body)> requests;
        lock (received) requests = [.. received];
        // OTLP protobuf carries span and instrument names as plain UTF-8 strings.
        var traces = string.Concat(requests.Where(r => r.Path == "/v1/traces").Select(r => Encoding.UTF8.GetString(r.Body)));
        Assert.Contains("sweep", traces);
        Assert.Contains("trial", traces);
        Assert.Contains("epoch", traces);
        Assert.Contains("experiments.architecture", traces);
        var metrics = string.Concat(requests.Where(r => r.Path == "/v1/metrics").Select(r => Encoding.UTF8.GetString(r.Body)));
        Assert.Contains("experiments.epochs.completed", metrics);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose() => _cli.Dispose();
}
