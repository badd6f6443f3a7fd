using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Experiments.Datasets;

/// <summary>Downloading, checking and unpacking the official CIFAR-10 binary archive, and importing its files.</summary>
internal static class Cifar10Source
{
    public const string ArchiveName = "cifar-10-binary.tar.gz";

    public static async Task DownloadAsync(DatasetFetcherOptions options, string destination, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var url = options.Cifar10Url;
        using var handler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout };
        // No overall timeout: the archive is 162 MB. Stalls are caught per read instead (DownloadIdleTimeout).
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };

        progress?.Report(new FetchProgress($"Connecting to {url.Host}", 0, null));
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(options, e.Message, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(options, $"no connection within {options.ConnectTimeout.TotalSeconds:0.#} s", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw Unreachable(options, $"it answered {(int)response.StatusCode} {response.ReasonPhrase}");

            var total = response.Content.Headers.ContentLength;
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            long done = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            await using (var file = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var buffer = new byte[1 << 16];
                long lastReport = 0;
                while (true)
                {
                    idle.CancelAfter(options.DownloadIdleTimeout);
                    int read;
                    try
                    {
                        read = await body.ReadAsync(buffer, idle.Token);
                    }
                    catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw Broken(options, $"no data for {options.DownloadIdleTimeout.TotalSeconds:0} s after {done:N0} bytes", e);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException)
                    {
                        throw Broken(options, $"the connection broke after {done:N0} bytes: {e.Message}", e);
                    }
                    if (read == 0) break;
                    md5.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    done += read;
                    if (done - lastReport >= 1 << 20)
                    {
                        progress?.Report(new FetchProgress($"Downloading {ArchiveName}", done, total));
                        lastReport = done;
                    }
                }
            }
            progress?.Report(new FetchProgress($"Downloading {ArchiveName}", done, total ?? done));

            if (total is { } expectedLength && done != expectedLength)
                throw Broken(options, $"the server announced {expectedLength:N0} bytes but sent {done:N0}");
            var actual = Convert.ToHexStringLower(md5.GetHashAndReset());
            if (!actual.Equals(options.Cifar10Md5, StringComparison.OrdinalIgnoreCase))
                throw new DatasetException(
                    $"checksum mismatch: {url} sent {done:N0} bytes with MD5 {actual}, but {ArchiveName} has MD5 {options.Cifar10Md5}. " +
                    $"The download was discarded; try again, or fetch the archive another way and run: {ExperimentsCommand.Name} data fetch cifar10 --from DIR");
        }
    }

    /// <summary>Checks an archive's MD5 against the official one; a repacked archive should be extracted and imported as a folder.</summary>
    public static void VerifyArchive(string archive, string expectedMd5, IProgress<FetchProgress>? progress)
    {
        progress?.Report(new FetchProgress($"Checking the MD5 of {archive}", 0, null));
        string actual;
        using (var stream = File.OpenRead(archive)) actual = Convert.ToHexStringLower(MD5.HashData(stream));
        if (!actual.Equals(expectedMd5, StringComparison.OrdinalIgnoreCase))
            throw DatasetException.InFile(archive,
                $"checksum mismatch: MD5 is {actual}, but the official {ArchiveName} has MD5 {expectedMd5}. " +
                $"If it is a repacked copy you trust, extract it and pass the folder holding {CifarBinary.DirectoryName} to --from");
    }

    /// <summary>
    /// Copies the batch files and <c>batches.meta.txt</c> out of the archive into <paramref name="targetFolder"/>.
    /// Only those known names are written, so an archive cannot place files anywhere else.
    /// </summary>
    public static void Extract(string archive, string targetFolder, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(targetFolder);
        var wanted = CifarBinary.RequiredFileNames.Append(CifarBinary.MetaFileName).ToHashSet(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(archive);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var parts = entry.Name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2 || parts[^2] != CifarBinary.DirectoryName || !wanted.Contains(parts[^1])) continue;
                entry.ExtractToFile(Path.Combine(targetFolder, parts[^1]), overwrite: true);
                found.Add(parts[^1]);
                progress?.Report(new FetchProgress($"Unpacking {Path.GetFileName(archive)}", found.Count, wanted.Count));
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw DatasetException.InFile(archive, $"is not a readable .tar.gz archive: {e.Message}", e);
        }

        var missing = CifarBinary.RequiredFileNames.Where(f => !found.Contains(f)).Select(f => $"{CifarBinary.DirectoryName}/{f}").ToList();
        if (missing.Count > 0)
            throw DatasetException.InFile(archive, $"lacks {string.Join(", ", missing)}; is it the binary version ({ArchiveName}) rather than the Python or MATLAB one?");
    }

    /// <summary>Reads every batch (and the class names, if present) in full, so a bad file fails the import, not a later trial.</summary>
    /// <param name="describe">How to name a file in an error (an archive member reads better than a temporary path).</param>
    public static (int Train, int Test) Validate(string folder, Func<string, string> describe, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        T Renamed<T>(Func<T> read)
        {
            try { return read(); }
            catch (DatasetException e) when (e.FilePath is not null && e.Problem is not null)
            {
                throw DatasetException.InFile(describe(e.FilePath), e.Problem, e);
            }
        }

        int train = 0, test = 0, checkedFiles = 0;
        foreach (var name in CifarBinary.RequiredFileNames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = Renamed(() => CifarBinary.ReadBatch(Path.Combine(folder, name)));
            if (name == CifarBinary.TestBatchName) test += batch.Count; else train += batch.Count;
            progress?.Report(new FetchProgress("Checking CIFAR-10 batches", ++checkedFiles, CifarBinary.RequiredFileNames.Count));
        }
        var meta = Path.Combine(folder, CifarBinary.MetaFileName);
        if (File.Exists(meta)) Renamed(() => CifarBinary.ReadClassNames(meta));
        return (train, test);
    }

    private static DatasetException Unreachable(DatasetFetcherOptions options, string reason, Exception? inner = null) =>
        new($"could not reach {options.Cifar10Url.Authority} to download CIFAR-10 ({reason}). {ManualInstructions(options)}", innerException: inner);

    private static DatasetException Broken(DatasetFetcherOptions options, string reason, Exception? inner = null) =>
        new($"the download of {options.Cifar10Url} failed: {reason}. {ManualInstructions(options)}", innerException: inner);

    private static string ManualInstructions(DatasetFetcherOptions options) =>
        $"To fetch it by hand: on a machine with internet access download {options.Cifar10Url} " +
        $"(the CIFAR-10 binary version, MD5 {options.Cifar10Md5}), copy it — or the {CifarBinary.DirectoryName} folder extracted from it — " +
        $"into a folder DIR on this machine, then run: {ExperimentsCommand.Name} data fetch cifar10 --from DIR";
}
