using System.Buffers.Binary;
using System.Net.Sockets;

namespace Experiments.Cluster;

/// <summary>
/// The first step of AMQP 0-9-1, without a client library: send the protocol header and check that the server answers
/// with a Connection.Start method frame. It proves a broker is up and accepting AMQP, and is cheap enough to poll.
/// </summary>
public static class AmqpHandshake
{
    /// <summary>"AMQP" 0 0 9 1: protocol id, then major 0, minor 9, revision 1 (AMQP 0-9-1 §4.2.2).</summary>
    public static ReadOnlySpan<byte> ProtocolHeader => "AMQP\0\0\u0009\u0001"u8;

    /// <summary>True when host:port answers the protocol header with Connection.Start (frame type 1, class 10, method 10).</summary>
    public static async Task<bool> AnswersAsync(string host, int port, TimeSpan timeout, CancellationToken ct = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, deadline.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(ProtocolHeader.ToArray(), deadline.Token);
            // Frame header: type (1 octet), channel (2), payload size (4); then the method's class id (2) and method id (2).
            var frameStart = new byte[11];
            await stream.ReadExactlyAsync(frameStart, deadline.Token);
            return frameStart[0] == 1
                && BinaryPrimitives.ReadUInt16BigEndian(frameStart.AsSpan(1)) == 0
                && BinaryPrimitives.ReadUInt16BigEndian(frameStart.AsSpan(7)) == 10
                && BinaryPrimitives.ReadUInt16BigEndian(frameStart.AsSpan(9)) == 10;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
