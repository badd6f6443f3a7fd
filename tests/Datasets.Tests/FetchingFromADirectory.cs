using System.Diagnostics;
using Xunit.Abstractions;

namespace Experiments.Datasets.Tests;

[Collection(Cifar10FilesCollection.Name)]
public sealed class Fetching_from_a_directory(Cifar10Files cifar, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly TempDirectory _from = new();

    public void Dispose()
    {
        _home.Dispose();
        _from.Dispose();
    }

    private string DatasetDirectory(string name) => Path.Combine(_home.Path, "datasets", name);

    [Theory]
    [InlineData("mnist", true)]
    [InlineData("fashion-mnist", false)]
    public async Task Imports_the_official_idx_files_gzipped_or_not(string name, bool gzip)
    {
        SyntheticDataset.WriteIdx(_from.Path, 600, 100, seed: 8, gzip: gzip);
        var progress = new List<FetchProgress>();

        var result = await new DatasetFetcher(_home.Path).FetchAsync(name, _from.Path, progress: new SynchronousProgress(progress));

        Assert.Equal(new FetchResult(name, DatasetDirectory(name), 600, 100, $"files:{_from.Path}", false), result);
        Assert.NotEmpty(progress);
        // Stored uncompressed whatever the source, with a manifest.
        Assert.True(File.Exists(Path.Combine(DatasetDirectory(name), "train-images-idx3-ubyte")));
        var manifest = SourceManifest.TryRead(DatasetDirectory(name))!;
        Assert.Equal(["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"], manifest.Files.Select(f => f.Name));
        Assert.All(manifest.Files, f => Assert.Equal(64, f.Sha256.Length));

        var splits = DatasetCatalog.Load(name, _home.Path);
        Assert.Equal((540, 60, 100), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        var status = DatasetCatalog.Status(name, _home.Path);
        Assert.True(status.Fetched);
        Assert.Equal($"files:{_from.Path}", status.Source);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_home.Path, "datasets"), ".*"));
    }

    [Fact]
    public async Task Names_the_missing_idx_files()
    {
        SyntheticDataset.WriteIdx(_from.Path, 10, 10, seed: 8);
        File.Delete(_from.Combine("train-labels-idx1-ubyte"));
        var error = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher(_home.Path).FetchAsync("mnist", _from.Path));
        Assert.Equal($"{_from.Path}: lacks train-labels-idx1-ubyte (or train-labels-idx1-ubyte.gz); --from needs the four official IDX files of mnist", error.Message);
    }

    [Fact]
    public async Task Refuses_a_corrupt_file_naming_it_and_keeps_what_was_there()
    {
        SyntheticDataset.WriteIdx(_from.Path, 50, 10, seed: 8);
        await new DatasetFetcher(_home.Path).FetchAsync("mnist", _from.Path);
        var bad = _from.Combine("t10k-images-idx3-ubyte");
        File.WriteAllBytes(bad, File.ReadAllBytes(bad)[..100]);

        var error = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher(_home.Path).FetchAsync("mnist", _from.Path));

        Assert.Equal($"{bad}: truncated: header says 10 images of 28×28 = 7856 bytes, file has 100 bytes", error.Message);
        Assert.Equal(50, DatasetCatalog.Load("mnist", _home.Path, 0).Train.Count);
        Assert.Single(Directory.GetDirectories(Path.Combine(_home.Path, "datasets")));
    }

    [Fact]
    public async Task Refuses_idx_files_of_the_wrong_image_size()
    {
        SyntheticDataset.WriteIdx(_from.Path, 10, 10, seed: 8, options: new SyntheticOptions(Height: 32, Width: 32));
        var error = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher(_home.Path).FetchAsync("fashion-mnist", _from.Path));
        Assert.Equal($"{_from.Combine("train-images-idx3-ubyte")}: images are 1×32×32, but this dataset's images are 1×28×28", error.Message);
    }

    [Theory]
    [InlineData("parent")]
    [InlineData("batches")]
    public async Task Imports_cifar10_from_an_extracted_batches_folder(string which)
    {
        var from = which == "parent" ? cifar.ExtractedParent : cifar.BatchesFolder;
        var result = await new DatasetFetcher(_home.Path).FetchAsync("cifar10", from);
        Assert.Equal((50_000, 10_000), (result.TrainCount, result.TestCount));
        Assert.Equal($"files:{cifar.BatchesFolder}", result.Source);

        var clock = Stopwatch.StartNew();
        var splits = DatasetCatalog.Load("cifar10", _home.Path);
        output.WriteLine($"loaded CIFAR-10 (60,000 × 3×32×32) in {clock.ElapsedMilliseconds} ms");
        Assert.Equal((45_000, 5_000, 10_000), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Equal("truck", splits.Train.ClassNames[9]);
        var firstTest = CifarBinary.ReadBatch(Path.Combine(cifar.BatchesFolder, "test_batch.bin"));
        Assert.Equal(LabelledImages.Normalise(firstTest.Pixels[2 * 1024 + 5 * 32 + 7]), splits.Test.Pixels[2 * 1024 + 5 * 32 + 7]);
    }

    [Fact]
    public async Task Imports_cifar10_from_the_official_archive_checking_its_md5()
    {
        var options = new DatasetFetcherOptions { Cifar10Md5 = cifar.ArchiveMd5 };
        var clock = Stopwatch.StartNew();
        var result = await new DatasetFetcher(_home.Path, options).FetchAsync("cifar10", cifar.ArchiveFolder);
        output.WriteLine($"imported cifar-10-binary.tar.gz in {clock.ElapsedMilliseconds} ms");

        Assert.Equal((50_000, 10_000), (result.TrainCount, result.TestCount));
        var manifest = SourceManifest.TryRead(DatasetDirectory("cifar10"))!;
        Assert.Equal(cifar.ArchiveMd5, manifest.SourceMd5);
        Assert.Equal(7, manifest.Files.Count);
        Assert.Equal(Directory.GetFiles(Path.Combine(DatasetDirectory("cifar10"), "cifar-10-batches-bin")).Order(StringComparer.Ordinal).Select(Path.GetFileName),
            manifest.Files.Select(f => f.Name["cifar-10-batches-bin/".Length..]));
    }

    [Fact]
    public async Task Refuses_an_archive_whose_md5_is_not_the_official_one()
    {
        var error = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher(_home.Path).FetchAsync("cifar10", cifar.Archive));
        Assert.StartsWith($"{cifar.Archive}: checksum mismatch: MD5 is {cifar.ArchiveMd5}, but the official cifar-10-binary.tar.gz has MD5 c32a1d4ab5d03f1284b67883e8d87530.", error.Message);
        Assert.False(Directory.Exists(DatasetDirectory("cifar10")));
    }

    [Fact]
    public async Task Refuses_a_cifar10_folder_with_a_bad_batch_naming_the_file()
    {
        var folder = _from.CreateSubdirectory("cifar-10-batches-bin");
        foreach (var file in Directory.GetFiles(cifar.BatchesFolder)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        var bad = Path.Combine(folder, "data_batch_4.bin");
        using (var stream = File.OpenWrite(bad)) stream.SetLength(30_730_000 - 3073);

        var error = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher(_home.Path).FetchAsync("cifar10", _from.Path));
        Assert.StartsWith($"{bad}: wrong length:", error.Message);
        Assert.EndsWith("file has 30726927 bytes (9999 whole records)", error.Message);
        Assert.False(Directory.Exists(DatasetDirectory("cifar10")));
    }

    [Fact]
    public async Task Says_what_it_looked_for_in_a_folder_without_cifar10()
    {
        var error = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher(_home.Path).FetchAsync("cifar10", _from.Path));
        Assert.Equal(
            $"{_from.Path}: holds neither cifar-10-binary.tar.gz, nor a cifar-10-batches-bin folder, nor the batch files (data_batch_1.bin …); --from needs the official CIFAR-10 binary version",
            error.Message);
    }
}
