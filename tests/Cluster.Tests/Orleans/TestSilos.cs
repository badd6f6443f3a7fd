using System.Diagnostics;
using System.Text.RegularExpressions;
using Experiments.Cluster.Hosting;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Runtime;

namespace Experiments.Cluster.Tests.Orleans;

/// <summary>One silo process of <see cref="TestSilos"/>: its name, the roles it advertises and its Orleans address.</summary>
public sealed record TestSilo(string Name, string Roles, NodeProcess Process, SiloAddress Address);

/// <summary>
/// Separate silo processes (tests/ClusterTestSilo) joined into one cluster through our PostgreSQL membership table, on
/// loopback, and an Orleans client of that cluster in the test process, which finds its gateways in the same table.
/// </summary>
public sealed partial class TestSilos : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Dictionary<string, TestSilo> _silos;
    private IHost? _client;

    private TestSilos(string clusterId, Dictionary<string, TestSilo> silos) => (ClusterId, _silos) = (clusterId, silos);

    public string ClusterId { get; }

    public TestSilo this[string name] => _silos[name];

    public IClusterClient Client => _client?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("no client started");

    /// <summary>Starts one process per (name, roles) at once, and returns when each has joined the cluster as active.</summary>
    public static async Task<TestSilos> StartAsync(string connectionString, params (string Name, string Roles)[] silos)
    {
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        var processes = silos.Select(s => (s.Name, s.Roles, Process: NodeProcess.Start(s.Name, StartInfo(connectionString, clusterId, s.Roles)))).ToList();
        var started = new TestSilos(clusterId, []);
        try
        {
            foreach (var (name, roles, process) in processes)
                started._silos[name] = new TestSilo(name, roles, process, await ActiveAddressAsync(process));
            return started;
        }
        catch
        {
            foreach (var (_, _, process) in processes) await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts an Orleans client of the cluster in this process (it reads the gateway list from <paramref name="store"/>).</summary>
    public async Task<IClusterClient> ConnectAsync(ResultsStore store)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddExperimentsClusterClient(store, ClusterId);
        _client = builder.Build();
        await _client.StartAsync();
        return Client;
    }

    private static ProcessStartInfo StartInfo(string connectionString, string clusterId, string roles) => new("dotnet")
    {
        ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Experiments.ClusterTestSilo.dll"), connectionString, clusterId, roles },
        WorkingDirectory = AppContext.BaseDirectory,
    };

    private static async Task<SiloAddress> ActiveAddressAsync(NodeProcess process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (ActiveLine().Match(process.Output) is { Success: true } match) return SiloAddress.FromParsableString(match.Groups[1].Value);
            if (process.HasExited) break;
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"silo {process.Name} did not become active ({(process.HasExited ? "it exited" : "timed out")}):\n{process.Output}");
    }

    [GeneratedRegex(@"^silo (\S+) active$", RegexOptions.Multiline)]
    private static partial Regex ActiveLine();

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }
        await Task.WhenAll(_silos.Values.Select(s => s.Process.DisposeAsync().AsTask()));
    }
}
