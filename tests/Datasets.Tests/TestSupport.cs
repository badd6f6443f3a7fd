using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Experiments.Datasets.Tests;

/// <summary>A fresh folder under /tmp, deleted afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("datasets-tests-").FullName;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string CreateSubdirectory(string name) => Directory.CreateDirectory(Combine(name)).FullName;

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 that answers every request with one fixed response, so the CIFAR-10
/// download can be tested without the internet. Built on TcpListener with port 0: no port races, no URL ACLs.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly Func<Stream> _body;
    private readonly long _length;
    private readonly int _status;

    private LoopbackServer(Func<Stream> body, long length, int status)
    {
        _body = body;
        _length = length;
        _status = status;
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public static LoopbackServer ServingFile(string path) => new(() => File.OpenRead(path), new FileInfo(path).Length, 200);

    public static LoopbackServer ServingBytes(byte[] body, int status = 200) => new(() => new MemoryStream(body), body.Length, status);

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/~kriz/cifar-10-binary.tar.gz");

    /// <summary>A loopback URL that nothing listens on: connecting is refused at once.</summary>
    public static Uri ClosedPortUrl()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/cifar-10-binary.tar.gz");
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = new byte[8192];
                var seen = 0;
                while (seen < request.Length)
                {
                    var read = await stream.ReadAsync(request.AsMemory(seen), _stop.Token);
                    if (read == 0) return;
                    seen += read;
                    if (Encoding.ASCII.GetString(request, 0, seen).Contains("\r\n\r\n", StringComparison.Ordinal)) break;
                }
                var reason = _status == 200 ? "OK" : "Not Found";
                var header = $"HTTP/1.1 {_status} {reason}\r\nContent-Type: application/octet-stream\r\nContent-Length: {_length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(header), _stop.Token);
                await using var body = _body();
                await body.CopyToAsync(stream, _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // The client hung up (e.g. after a checksum failure); nothing to do.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
    }
}

/// <summary>
/// Full-size CIFAR-10 files in the official binary format (six batches of 10,000 synthetic records, the meta file
/// and the .tar.gz), generated once for every test that needs them: about 185 MB, written in a few seconds.
/// </summary>
public sealed class Cifar10Files : IDisposable
{
    private readonly TempDirectory _directory = new();

    public Cifar10Files()
    {
        ExtractedParent = _directory.CreateSubdirectory("extracted");
        BatchesFolder = SyntheticDataset.WriteCifar10(ExtractedParent, seed: 7);
        ArchiveFolder = _directory.CreateSubdirectory("archive");
        Archive = Path.Combine(ArchiveFolder, "cifar-10-binary.tar.gz");
        SyntheticDataset.WriteCifar10Archive(Archive, seed: 7);
        using var stream = File.OpenRead(Archive);
        ArchiveMd5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(stream));
    }

    /// <summary>A folder holding <c>cifar-10-batches-bin/</c>.</summary>
    public string ExtractedParent { get; }

    /// <summary>The <c>cifar-10-batches-bin</c> folder itself.</summary>
    public string BatchesFolder { get; }

    /// <summary>A folder holding only <c>cifar-10-binary.tar.gz</c>.</summary>
    public string ArchiveFolder { get; }

    public string Archive { get; }
    public string ArchiveMd5 { get; }

    public void Dispose() => _directory.Dispose();
}

[CollectionDefinition(Name)]
public sealed class Cifar10FilesCollection : ICollectionFixture<Cifar10Files>
{
    public const string Name = "CIFAR-10 files";
}

/// <summary>Progress&lt;T&gt; posts to the thread pool; tests want the reports in hand when the call returns.</summary>
public sealed class SynchronousProgress(List<FetchProgress> reports) : IProgress<FetchProgress>
{
    public void Report(FetchProgress value)
    {
        lock (reports) reports.Add(value);
    }
}
