namespace Experiments.Datasets.Tests;

[Collection(Cifar10FilesCollection.Name)]
public sealed class Downloading_cifar10(Cifar10Files cifar) : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private string DatasetDirectory => Path.Combine(_home.Path, "datasets", "cifar10");

    [Fact]
    public void Uses_the_official_url_and_checksum_by_default()
    {
        var options = new DatasetFetcherOptions();
        Assert.Equal(new Uri("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), options.Cifar10Url);
        Assert.Equal("c32a1d4ab5d03f1284b67883e8d87530", options.Cifar10Md5);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ConnectTimeout);
    }

    [Fact]
    public async Task Explains_how_to_import_the_files_by_hand_when_the_host_cannot_be_reached()
    {
        var url = LoopbackServer.ClosedPortUrl();
        var fetcher = new DatasetFetcher(_home.Path, new DatasetFetcherOptions { Cifar10Url = url });

        var error = await Assert.ThrowsAsync<DatasetException>(() => fetcher.FetchAsync("cifar10"));

        Assert.StartsWith($"could not reach {url.Authority} to download CIFAR-10 (", error.Message);
        Assert.Contains($"download {url} (the CIFAR-10 binary version, MD5 c32a1d4ab5d03f1284b67883e8d87530)", error.Message);
        Assert.EndsWith("then run: experiments data fetch cifar10 --from DIR", error.Message);
        Assert.False(Directory.Exists(DatasetDirectory));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_home.Path, "datasets")));
    }

    [Fact]
    public async Task Reports_an_http_error_with_the_same_instructions()
    {
        await using var server = LoopbackServer.ServingBytes("gone"u8.ToArray(), status: 404);
        var fetcher = new DatasetFetcher(_home.Path, new DatasetFetcherOptions { Cifar10Url = server.Url });
        var error = await Assert.ThrowsAsync<DatasetException>(() => fetcher.FetchAsync("cifar10"));
        Assert.StartsWith($"could not reach {server.Url.Authority} to download CIFAR-10 (it answered 404 Not Found).", error.Message);
        Assert.EndsWith("experiments data fetch cifar10 --from DIR", error.Message);
    }

    [Fact]
    public async Task Discards_a_download_whose_checksum_does_not_match()
    {
        var junk = new byte[100_000];
        new Random(1).NextBytes(junk);
        var junkMd5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(junk));
        await using var server = LoopbackServer.ServingBytes(junk);
        var fetcher = new DatasetFetcher(_home.Path, new DatasetFetcherOptions { Cifar10Url = server.Url });

        var error = await Assert.ThrowsAsync<DatasetException>(() => fetcher.FetchAsync("cifar10"));

        Assert.StartsWith(
            $"checksum mismatch: {server.Url} sent 100,000 bytes with MD5 {junkMd5}, but cifar-10-binary.tar.gz has MD5 c32a1d4ab5d03f1284b67883e8d87530. The download was discarded",
            error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_home.Path, "datasets")));
    }

    [Fact]
    public async Task Downloads_checks_and_unpacks_an_archive_whose_checksum_matches()
    {
        await using var server = LoopbackServer.ServingFile(cifar.Archive);
        var reports = new List<FetchProgress>();
        var fetcher = new DatasetFetcher(_home.Path, new DatasetFetcherOptions { Cifar10Url = server.Url, Cifar10Md5 = cifar.ArchiveMd5 });

        var result = await fetcher.FetchAsync("cifar10", progress: new SynchronousProgress(reports));

        Assert.Equal(new FetchResult("cifar10", DatasetDirectory, 50_000, 10_000, server.Url.ToString(), false), result);
        Assert.Contains(reports, r => r.Description.StartsWith("Downloading", StringComparison.Ordinal) && r.Total == new FileInfo(cifar.Archive).Length);
        // Only the batches are kept, not the archive.
        Assert.Equal(["batches.meta.txt", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"],
            Directory.GetFiles(Path.Combine(DatasetDirectory, "cifar-10-batches-bin")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["cifar10"], Directory.GetFileSystemEntries(Path.Combine(_home.Path, "datasets")).Select(Path.GetFileName));
        Assert.Equal(File.ReadAllBytes(Path.Combine(cifar.BatchesFolder, "data_batch_2.bin")), File.ReadAllBytes(Path.Combine(DatasetDirectory, "cifar-10-batches-bin", "data_batch_2.bin")));

        // A second fetch finds it in place and does nothing.
        var again = await fetcher.FetchAsync("cifar10");
        Assert.True(again.AlreadyPresent);
        Assert.Equal(server.Url.ToString(), again.Source);
    }

    [Fact]
    public async Task Stops_when_cancelled()
    {
        await using var server = LoopbackServer.ServingFile(cifar.Archive);
        var fetcher = new DatasetFetcher(_home.Path, new DatasetFetcherOptions { Cifar10Url = server.Url, Cifar10Md5 = cifar.ArchiveMd5 });
        using var cancel = new CancellationTokenSource();
        var progress = new CancelOnFirstReport(cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetcher.FetchAsync("cifar10", progress: progress, cancellationToken: cancel.Token));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_home.Path, "datasets")));
    }

    private sealed class CancelOnFirstReport(CancellationTokenSource cancel) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value)
        {
            if (value.Done > 0) cancel.Cancel();
        }
    }
}
