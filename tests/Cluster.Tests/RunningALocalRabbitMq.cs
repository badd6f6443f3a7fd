using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

public sealed class RunningALocalRabbitMq(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("exp-rabbitmq-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_started_node_answers_the_AMQP_handshake_on_loopback_with_the_configured_consumer_timeout()
    {
        await using var node = await LocalRabbitMq.StartAsync(_directory, new LocalRabbitMqOptions { ConsumerTimeout = TimeSpan.FromMinutes(150) });
        output.WriteLine($"{node.NodeName} started in {node.StartDuration.TotalSeconds:0.00} s on {node.AmqpUri}");

        Assert.Equal(new Uri($"amqp://guest:guest@127.0.0.1:{node.AmqpPort}/"), node.AmqpUri);
        var start = await RawConnectionStartAsync(node.AmqpPort);
        Assert.Equal((1, 0, 10, 10), (start.FrameType, start.Channel, start.ClassId, start.MethodId));
        Assert.Equal((0, 9), (start.VersionMajor, start.VersionMinor));

        // The setting reached the running broker (150 min = 9,000,000 ms), not just the file.
        var timeout = await node.RabbitMqCtlAsync(["eval", "application:get_env(rabbit, consumer_timeout)."]);
        Assert.Contains("{ok,9000000}", timeout.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // AMQP listens on loopback only, not on every interface.
        var listeners = await node.RabbitMqCtlAsync(["eval", "rabbit_networking:active_listeners()."]);
        Assert.Contains("{127,0,0,1}", listeners, StringComparison.Ordinal);
        Assert.DoesNotContain("{0,0,0,0}", listeners, StringComparison.Ordinal);
        // So do Erlang distribution and the private epmd, as the kernel sees them.
        Assert.Equal(["127.0.0.1"], ListeningAddresses(node.DistributionPort));
        Assert.Equal(["127.0.0.1"], ListeningAddresses(node.EpmdPort));
    }

    [Fact]
    public async Task Two_nodes_run_side_by_side_and_stopping_one_leaves_the_other_working()
    {
        var starting = new[] { LocalRabbitMq.StartAsync(_directory), LocalRabbitMq.StartAsync(_directory) };
        var nodes = await Task.WhenAll(starting.Select(async t => { try { return await t; } catch { return null; } }));
        try
        {
            Assert.All(starting, t => Assert.True(t.IsCompletedSuccessfully, t.Exception?.ToString()));
            var (first, second) = (nodes[0]!, nodes[1]!);
            output.WriteLine($"started in parallel: {first.StartDuration.TotalSeconds:0.00} s and {second.StartDuration.TotalSeconds:0.00} s");

            Assert.NotEqual(first.NodeName, second.NodeName);
            Assert.NotEqual(first.BaseDirectory, second.BaseDirectory);
            Assert.Empty(new[] { first.AmqpPort, first.DistributionPort, first.EpmdPort }
                .Intersect([second.AmqpPort, second.DistributionPort, second.EpmdPort]));
            Assert.Equal(10, (await RawConnectionStartAsync(first.AmqpPort)).MethodId);
            Assert.Equal(10, (await RawConnectionStartAsync(second.AmqpPort)).MethodId);

            await first.DisposeAsync();

            Assert.False(await PortAcceptsAsync(first.AmqpPort));
            var start = await RawConnectionStartAsync(second.AmqpPort);
            Assert.Equal((1, 10, 10), (start.FrameType, start.ClassId, start.MethodId));
            Assert.Contains(second.NodeName, await second.RabbitMqCtlAsync(["status"]), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var node in nodes) if (node is not null) await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task After_dispose_the_ports_are_closed_the_node_process_is_gone_and_disposing_again_is_harmless()
    {
        var node = await LocalRabbitMq.StartAsync(_directory);
        var beamPid = int.Parse(File.ReadAllText(Path.Combine(node.BaseDirectory, "rabbitmq.pid")).Trim(), CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{beamPid}"));
        Assert.True(await PortAcceptsAsync(node.EpmdPort));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        node.Dispose();
        output.WriteLine($"started in {node.StartDuration.TotalSeconds:0.00} s, stopped in {clock.Elapsed.TotalSeconds:0.00} s");

        Assert.False(node.IsRunning);
        Assert.False(await PortAcceptsAsync(node.AmqpPort));
        Assert.False(await PortAcceptsAsync(node.DistributionPort));
        Assert.False(await PortAcceptsAsync(node.EpmdPort)); // its private epmd went with it
        Assert.False(Directory.Exists($"/proc/{beamPid}") && !IsZombie(beamPid));
        node.Dispose();
        await node.DisposeAsync();
    }

    [Fact]
    public async Task A_missing_installation_is_reported_by_name_with_the_fix()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_directory, "no-rabbitmq")).FullName;
        var error = await Assert.ThrowsAsync<RabbitMqNotInstalledException>(
            () => LocalRabbitMq.StartAsync(_directory, new LocalRabbitMqOptions { ScriptDirectory = empty }));
        Assert.Contains("rabbitmq-server", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install rabbitmq-server", error.Message, StringComparison.Ordinal);
    }

    // ---- an AMQP client of our own, written from the 0-9-1 spec, independent of the handshake code under test ----

    private sealed record ConnectionStart(int FrameType, int Channel, int ClassId, int MethodId, int VersionMajor, int VersionMinor);

    private static async Task<ConnectionStart> RawConnectionStartAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), timeout.Token);
        var header = new byte[7];
        await stream.ReadExactlyAsync(header, timeout.Token);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(3))];
        await stream.ReadExactlyAsync(payload, timeout.Token);
        var frameEnd = new byte[1];
        await stream.ReadExactlyAsync(frameEnd, timeout.Token);
        Assert.Equal(0xCE, frameEnd[0]); // every AMQP frame ends with 0xCE
        return new ConnectionStart(header[0], BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1)),
            BinaryPrimitives.ReadUInt16BigEndian(payload), BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(2)),
            payload[4], payload[5]);
    }

    private static async Task<bool> PortAcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The IPv4 addresses listening on a TCP port, from /proc/net/tcp (local address is hex, little-endian).</summary>
    private static List<string> ListeningAddresses(int port) =>
        File.ReadAllLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[3] == "0A" && int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(f => string.Join('.', Convert.FromHexString(f[1].Split(':')[0]).Reverse()))
            .Distinct().ToList();

    private static bool IsZombie(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (IOException) { return false; }
    }
}
