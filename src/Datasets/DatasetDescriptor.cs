using Experiments.Architectures;

namespace Experiments.Datasets;

public enum DatasetFormat
{
    /// <summary>MNIST-style IDX files: <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-…</c>.</summary>
    Idx,

    /// <summary>The CIFAR-10 binary version: <c>cifar-10-batches-bin/data_batch_{1..5}.bin</c> and <c>test_batch.bin</c>.</summary>
    Cifar10Binary,

    /// <summary>Generated in memory by <see cref="SyntheticDataset"/>; nothing on disk.</summary>
    Synthetic,
}

/// <summary>A dataset this system knows by name: its shape, classes, on-disk format and where it comes from.</summary>
public sealed record DatasetDescriptor(string Name, string Title, DatasetFormat Format, TensorShape SampleShape, IReadOnlyList<string> ClassNames, string Source)
{
    public int Classes => ClassNames.Count;
}

/// <summary>What <see cref="DatasetCatalog.List"/> reports for one dataset. Counts are of the files on disk, before any validation hold-out.</summary>
public sealed record DatasetStatus(string Name, bool Fetched, int? TrainCount, int? TestCount, string? Path, string Source, long BytesOnDisk);
