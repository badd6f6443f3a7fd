using System.Formats.Tar;
using System.IO.Compression;
using Experiments.Architectures;

namespace Experiments.Datasets;

/// <summary>Shape, class count and noise of a synthetic dataset. The defaults are MNIST-shaped, so every built-in network fits.</summary>
public sealed record SyntheticOptions(int Channels = 1, int Height = 28, int Width = 28, int Classes = 10, double Noise = 0.2)
{
    public TensorShape SampleShape => new(Channels, Height, Width);
}

/// <summary>
/// A small, seeded, learnable dataset for tests and smoke runs: each class is one simple pattern (a bar at a
/// given orientation and position, or a blob in a given corner), jittered by about a pixel and a half, at a
/// random brightness per channel, under uniform noise. A tiny CNN separates the classes within an epoch or two.
/// It can also be written out in the exact IDX and CIFAR-10 binary formats, to test the loaders.
/// </summary>
public static class SyntheticDataset
{
    public const string Name = "synthetic";

    /// <summary>What <c>DatasetCatalog.Load("synthetic", …)</c> generates; the data never depends on the split seed.</summary>
    public const int CatalogTrainCount = 5_000, CatalogTestCount = 1_000, CatalogSeed = 20_240_601;

    private static readonly string[] PatternNames =
    [
        "horizontal bar, top", "horizontal bar, middle", "horizontal bar, bottom",
        "vertical bar, left", "vertical bar, middle", "vertical bar, right",
        "diagonal, falling", "diagonal, rising",
        "blob, top-left", "blob, top-right", "blob, bottom-left", "blob, bottom-right",
    ];

    private const ulong TrainStream = 0x5EED_7A19, TestStream = 0x5EED_7E57;

    public static int MaxClasses => PatternNames.Length;

    public static IReadOnlyList<string> ClassNames(int classes)
    {
        if (classes < 2 || classes > MaxClasses)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, $"Synthetic data has {RangeText.Of(2, MaxClasses)} classes.");
        return PatternNames[..classes];
    }

    /// <summary><paramref name="count"/> images, classes balanced (to within one) and shuffled, all determined by <paramref name="seed"/>.</summary>
    public static LabelledImages Generate(int count, int seed, SyntheticOptions? options = null)
    {
        options ??= new SyntheticOptions();
        return GenerateBytes(count, seed, options).ToLabelledImages(ClassNames(options.Classes));
    }

    public static RawImages GenerateBytes(int count, int seed, SyntheticOptions? options = null) =>
        GenerateBytes(count, new SeededRandom(seed, TrainStream), options ?? new SyntheticOptions());

    /// <summary>A training set and a test set from independent streams of one seed, then the usual validation hold-out.</summary>
    public static DatasetSplits GenerateSplits(int trainCount, int testCount, int dataSeed, double validationFraction = DatasetSplits.DefaultValidationFraction, int splitSeed = 0, SyntheticOptions? options = null)
    {
        options ??= new SyntheticOptions();
        var names = ClassNames(options.Classes);
        var train = GenerateBytes(trainCount, new SeededRandom(dataSeed, TrainStream), options).ToLabelledImages(names);
        var test = GenerateBytes(testCount, new SeededRandom(dataSeed, TestStream), options).ToLabelledImages(names);
        return DatasetSplits.HoldOutValidation(train, test, validationFraction, splitSeed);
    }

    /// <summary>
    /// Writes <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and
    /// <c>t10k-labels-idx1-ubyte</c> (each with <c>.gz</c> if <paramref name="gzip"/>) into <paramref name="directory"/>.
    /// </summary>
    public static void WriteIdx(string directory, int trainCount, int testCount, int seed, bool gzip = false, SyntheticOptions? options = null)
    {
        options ??= new SyntheticOptions();
        if (options.Channels != 1) throw new ArgumentException("IDX image files hold one channel.", nameof(options));
        var suffix = gzip ? ".gz" : "";
        foreach (var (prefix, count, stream) in new[] { ("train", trainCount, TrainStream), ("t10k", testCount, TestStream) })
        {
            var data = GenerateBytes(count, new SeededRandom(seed, stream), options);
            IdxWriter.WriteImages(Path.Combine(directory, $"{prefix}-images-idx3-ubyte{suffix}"), options.Height, options.Width, data.Pixels);
            IdxWriter.WriteLabels(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte{suffix}"), data.Labels);
        }
    }

    /// <summary>
    /// Writes <c>&lt;directory&gt;/cifar-10-batches-bin/</c> in the exact CIFAR-10 binary format: five training batches,
    /// a test batch and <c>batches.meta.txt</c> with the official class names. Returns that folder.
    /// </summary>
    public static string WriteCifar10(string directory, int recordsPerBatch = CifarBinary.RecordsPerBatch, int seed = 0)
    {
        var folder = Path.Combine(directory, CifarBinary.DirectoryName);
        Directory.CreateDirectory(folder);
        var random = new SeededRandom(seed, TrainStream);
        foreach (var name in CifarBinary.RequiredFileNames)
        {
            var batch = GenerateBytes(recordsPerBatch, random, CifarOptions);
            CifarBinary.WriteBatch(Path.Combine(folder, name), batch.Labels, batch.Pixels);
        }
        CifarBinary.WriteClassNames(Path.Combine(folder, CifarBinary.MetaFileName), DatasetCatalog.Cifar10.ClassNames);
        return folder;
    }

    /// <summary>The same files as <see cref="WriteCifar10"/>, packed as the official <c>cifar-10-binary.tar.gz</c> is.</summary>
    public static void WriteCifar10Archive(string archivePath, int recordsPerBatch = CifarBinary.RecordsPerBatch, int seed = 0)
    {
        var staging = Directory.CreateTempSubdirectory("cifar-archive-");
        try
        {
            var folder = WriteCifar10(staging.FullName, recordsPerBatch, seed);
            using var file = File.Create(archivePath);
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            using var tar = new TarWriter(gzip, TarEntryFormat.Ustar);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, CifarBinary.DirectoryName + "/"));
            foreach (var path in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
                tar.WriteEntry(path, $"{CifarBinary.DirectoryName}/{Path.GetFileName(path)}");
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    private static SyntheticOptions CifarOptions => new(CifarBinary.Channels, CifarBinary.Side, CifarBinary.Side, CifarBinary.Classes);

    private static RawImages GenerateBytes(int count, SeededRandom random, SyntheticOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (options.Height < 8 || options.Width < 8) throw new ArgumentException("Synthetic images need to be at least 8×8.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Channels);
        ClassNames(options.Classes); // validates the class count

        var labels = new int[count];
        for (var i = 0; i < count; i++) labels[i] = i % options.Classes;
        random.Shuffle(labels);

        var plane = options.Height * options.Width;
        var sampleSize = options.Channels * plane;
        var pixels = new byte[(long)count * sampleSize];
        var mask = new float[plane];
        var noise = (float)options.Noise;
        for (var n = 0; n < count; n++)
        {
            DrawPattern(mask, labels[n], options.Height, options.Width, random);
            var image = pixels.AsSpan(n * sampleSize, sampleSize);
            for (var c = 0; c < options.Channels; c++)
            {
                var brightness = 0.6f + 0.4f * (float)random.NextDouble();
                var channel = image.Slice(c * plane, plane);
                for (var p = 0; p < plane; p++)
                {
                    var value = brightness * mask[p] + noise * (2f * (float)random.NextDouble() - 1f);
                    channel[p] = (byte)MathF.Round(Math.Clamp(value, 0f, 1f) * 255f);
                }
            }
        }
        return new RawImages(options.SampleShape, pixels, [.. labels.Select(l => (byte)l)]);
    }

    /// <summary>Fills <paramref name="mask"/> (H×W, values 0–1) with class <paramref name="pattern"/>'s shape, shifted by a random jitter.</summary>
    private static void DrawPattern(float[] mask, int pattern, int height, int width, SeededRandom random)
    {
        var jitter = 1.5 * height / 28.0;
        var dy = (2 * random.NextDouble() - 1) * jitter;
        var dx = (2 * random.NextDouble() - 1) * jitter;
        var halfThickness = Math.Max(0.75, height / 18.0);
        var sigma = height / 10.0;
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            double u = x - dx, v = y - dy; // shift the pattern by moving the sampling point the other way
            double fx = u / (width - 1), fy = v / (height - 1);
            var value = pattern switch
            {
                0 or 1 or 2 => Bar(v - (0.25 + 0.25 * pattern) * (height - 1), halfThickness),
                3 or 4 or 5 => Bar(u - (0.25 + 0.25 * (pattern - 3)) * (width - 1), halfThickness),
                6 => Bar((fy - fx) * (height - 1) / Math.Sqrt(2), halfThickness),
                7 => Bar((fy - (1 - fx)) * (height - 1) / Math.Sqrt(2), halfThickness),
                _ => Blob(u, v, pattern - 8, height, width, sigma),
            };
            mask[y * width + x] = (float)value;
        }
    }

    private static double Bar(double distance, double halfThickness) => Math.Abs(distance) <= halfThickness ? 1 : 0;

    private static double Blob(double u, double v, int corner, int height, int width, double sigma)
    {
        var cx = (corner % 2 == 0 ? 0.3 : 0.7) * (width - 1);
        var cy = (corner < 2 ? 0.3 : 0.7) * (height - 1);
        var d2 = (u - cx) * (u - cx) + (v - cy) * (v - cy);
        return Math.Exp(-d2 / (2 * sigma * sigma));
    }
}
